// 工作台: 待办 / 已办 / 抄送我的 / 我发起的, each with its count, filters, sorting and paging. A `task` event
// on the live stream reloads the counts and the open tab, so new work shows up without a refresh.
import { createApp, computed, onBeforeUnmount, onMounted, reactive, ref, watch } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { api, requireLogin } from './api.js';
import { addMessages, installI18n, t } from './i18n.js';
import { AppShell } from './shell.js';
import { watchTasks } from './live.js';

addMessages({
  zh: {
    'wb.title': '工作台', 'wb.todo': '待办', 'wb.done': '已办', 'wb.copies': '抄送我的', 'wb.started': '我发起的',
    'wb.category': '问题类别', 'wb.grid': '单元网格', 'wb.light': '时限', 'wb.stage': '阶段', 'wb.sort': '排序',
    'wb.sortDue': '按时限', 'wb.sortCreated': '按到达时间', 'wb.all': '全部', 'wb.refresh': '刷新',
    'wb.caseNo': '案件编号', 'wb.node': '环节', 'wb.due': '办理时限', 'wb.created': '到达时间',
    'wb.open': '办理', 'wb.view': '查看', 'wb.completedAt': '办结时间', 'wb.caseStatus': '案件状态',
    'wb.withdraw': '撤回', 'wb.withdrawReason': '撤回原因', 'wb.withdrawn': '已撤回，任务回到您的待办',
    'wb.sentBy': '抄送人', 'wb.sentAt': '抄送时间', 'wb.note': '附言', 'wb.read': '已读', 'wb.unread': '未读',
    'wb.startedAt': '上报时间', 'wb.address': '地址', 'wb.live': '实时更新中', 'wb.offline': '实时连接中断，正在重连',
    'wb.newWork': '新任务：{name}（{case_no}）', 'wb.gridPlaceholder': '网格编码',
    'status.running': '办理中', 'status.suspended': '挂账/暂停', 'status.completed': '已办结', 'status.terminated': '已终止',
    'stage.collect': '信息采集', 'stage.file': '立案', 'stage.dispatch': '派遣', 'stage.handle': '处置',
    'stage.feedback': '反馈', 'stage.close': '核查结案', 'stage.evaluate': '评价',
  },
  en: {
    'wb.title': 'Workbench', 'wb.todo': 'To do', 'wb.done': 'Done', 'wb.copies': 'Copied to me', 'wb.started': 'Started by me',
    'wb.category': 'Category', 'wb.grid': 'Grid', 'wb.light': 'Light', 'wb.stage': 'Stage', 'wb.sort': 'Sort',
    'wb.sortDue': 'By due time', 'wb.sortCreated': 'By arrival', 'wb.all': 'All', 'wb.refresh': 'Refresh',
    'wb.caseNo': 'Case no.', 'wb.node': 'Step', 'wb.due': 'Due', 'wb.created': 'Arrived',
    'wb.open': 'Handle', 'wb.view': 'View', 'wb.completedAt': 'Completed', 'wb.caseStatus': 'Case status',
    'wb.withdraw': 'Take back', 'wb.withdrawReason': 'Reason', 'wb.withdrawn': 'Taken back: the task is in your to-do list again',
    'wb.sentBy': 'From', 'wb.sentAt': 'Sent', 'wb.note': 'Note', 'wb.read': 'Read', 'wb.unread': 'Unread',
    'wb.startedAt': 'Reported', 'wb.address': 'Address', 'wb.live': 'Live', 'wb.offline': 'Live updates lost, reconnecting',
    'wb.newWork': 'New task: {name} ({case_no})', 'wb.gridPlaceholder': 'Grid code',
    'status.running': 'Running', 'status.suspended': 'Suspended', 'status.completed': 'Completed', 'status.terminated': 'Terminated',
    'stage.collect': 'Collection', 'stage.file': 'Filing', 'stage.dispatch': 'Dispatch', 'stage.handle': 'Disposal',
    'stage.feedback': 'Feedback', 'stage.close': 'Check & close', 'stage.evaluate': 'Evaluation',
  },
});

const PAGE_SIZE = 20;
const TABS = ['todo', 'done', 'copies', 'started'];
const STAGES = ['collect', 'file', 'dispatch', 'handle', 'feedback', 'close', 'evaluate'];
const LIGHTS = ['green', 'yellow', 'red'];
// tab → the list endpoint and the key of its count in GET /tasks/counts
const SOURCES = {
  todo: { path: '/tasks', count: 'todo' },
  done: { path: '/tasks/done', count: 'done' },
  copies: { path: '/copies', count: 'copies_unread' },
  started: { path: '/cases', count: 'started' },
};

export function caseLink(caseNo, taskId) {
  const query = new URLSearchParams({ no: caseNo });
  if (taskId) query.set('task', taskId);
  return `/cases/case.html?${query}`;
}

function minorCategories(tree) {
  const options = [];
  for (const major of tree || []) {
    for (const minor of major.children || []) options.push({ code: minor.code, label: `${minor.code} ${major.name}/${minor.name}` });
  }
  return options;
}

const WorkbenchPage = {
  components: { AppShell },
  setup() {
    const initialTab = new URLSearchParams(location.search).get('tab');
    const tab = ref(TABS.includes(initialTab) ? initialTab : 'todo');
    const rows = ref([]);
    const counts = ref({});
    const loading = ref(false);
    const paging = reactive({ page: 1, total: 0 });
    const filters = reactive({ category_code: '', grid_code: '', light: '', stage: '', sort: 'due' });
    const categories = ref([]);
    const live = ref('connected');
    let stopLive = null;

    function query() {
      const base = { page: paging.page, page_size: PAGE_SIZE };
      if (tab.value === 'todo') return { ...base, ...filters };
      if (tab.value === 'started') {
        const { category_code, grid_code, light, stage } = filters;
        return { ...base, started_by: 'me', category_code, grid_code, light, stage,
                 sort: filters.sort === 'due' ? 'due' : 'started' };
      }
      return base;
    }

    async function loadCounts() {
      try {
        counts.value = await api.get('/tasks/counts');
      } catch {
        counts.value = {};  // counts are a convenience; the lists still work without them
      }
    }

    async function load() {
      loading.value = true;
      const requested = tab.value;
      try {
        const { items, total } = await api.page(SOURCES[requested].path, query());
        if (requested !== tab.value) return;  // the user moved on while this was loading
        rows.value = items;
        paging.total = total;
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }

    function reload() {
      loadCounts();
      load();
    }

    function search() {
      paging.page = 1;
      load();
    }

    function changePage(page) {
      paging.page = page;
      load();
    }

    watch(tab, (value) => {
      history.replaceState(null, '', `?tab=${value}`);
      rows.value = [];
      paging.page = 1;
      paging.total = 0;
      load();
    });

    async function withdraw(row) {
      let reason;
      try {
        ({ value: reason } = await ElMessageBox.prompt(t('wb.withdrawReason'), t('wb.withdraw'), {
          inputValidator: (value) => Boolean(value && value.trim()), inputErrorMessage: t('wb.withdrawReason'),
        }));
      } catch {
        return;  // cancelled
      }
      try {
        await api.post(`/tasks/${encodeURIComponent(row.task_id)}/withdraw`, { reason });
        ElMessage.success(t('wb.withdrawn'));
        reload();
      } catch (error) {
        ElMessage.error(error.message);
      }
    }

    async function openCopy(row) {
      if (!row.read) {
        try { await api.post(`/copies/${row.id}/read`, {}); } catch { /* reading still works */ }
      }
      location.assign(caseLink(row.case_no));
    }

    // several events in a burst (one command creates several tasks) cause one reload
    let pending = null;
    function onTask(event) {
      if (event?.name) ElMessage.info(t('wb.newWork', { name: event.name, case_no: event.case_no || '' }));
      clearTimeout(pending);
      pending = setTimeout(reload, 200);
    }

    onMounted(async () => {
      reload();
      stopLive = watchTasks(onTask, { onState: (state) => { live.value = state; } });
      try {
        categories.value = minorCategories(await api.get('/categories/tree'));
      } catch {
        categories.value = [];
      }
    });
    onBeforeUnmount(() => stopLive?.());

    const filterable = computed(() => tab.value === 'todo' || tab.value === 'started');
    const countOf = (name) => counts.value[SOURCES[name].count];
    return { tab, rows, counts, loading, paging, filters, categories, live, filterable, TABS, STAGES, LIGHTS,
             PAGE_SIZE, load, reload, search, changePage, withdraw, openCopy, countOf, caseLink };
  },
  template: `
    <app-shell active="workbench">
      <div class="cb-card cb-workbench">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('wb.title') }}</span>
          <span :class="['cb-live', live]">{{ live === 'retrying' ? t('wb.offline') : t('wb.live') }}</span>
          <span class="cb-spacer"></span>
          <el-button size="small" @click="reload" class="cb-refresh">{{ t('wb.refresh') }}</el-button>
        </div>
        <el-tabs v-model="tab" class="cb-wb-tabs">
          <el-tab-pane v-for="name in TABS" :key="name" :name="name">
            <template #label>
              <span :class="'cb-tab-' + name">{{ t('wb.' + name) }}
                <el-badge v-if="countOf(name) !== undefined" :value="countOf(name)" :max="999"
                          :type="name === 'todo' ? 'danger' : 'info'" :show-zero="true" class="cb-count" />
              </span>
            </template>
          </el-tab-pane>
        </el-tabs>
        <div v-if="filterable" class="cb-filters">
          <el-select v-model="filters.category_code" :placeholder="t('wb.category')" clearable filterable size="small"
                     class="cb-filter-category" @change="search">
            <el-option v-for="c in categories" :key="c.code" :label="c.label" :value="c.code" />
          </el-select>
          <el-input v-model="filters.grid_code" :placeholder="t('wb.gridPlaceholder')" clearable size="small"
                    class="cb-filter-grid" @change="search" />
          <el-select v-model="filters.light" :placeholder="t('wb.light')" clearable size="small" class="cb-filter-light" @change="search">
            <el-option v-for="l in LIGHTS" :key="l" :value="l" :label="t('light.' + l)" />
          </el-select>
          <el-select v-model="filters.stage" :placeholder="t('wb.stage')" clearable size="small" class="cb-filter-stage" @change="search">
            <el-option v-for="s in STAGES" :key="s" :value="s" :label="t('stage.' + s)" />
          </el-select>
          <el-radio-group v-model="filters.sort" size="small" @change="search">
            <el-radio-button value="due">{{ t('wb.sortDue') }}</el-radio-button>
            <el-radio-button value="created">{{ t('wb.sortCreated') }}</el-radio-button>
          </el-radio-group>
        </div>

        <el-table v-if="tab === 'todo'" :data="rows" v-loading="loading" :empty-text="t('common.none')" stripe
                  class="cb-wb-table cb-todo-table">
          <el-table-column :label="t('wb.light')" width="110">
            <template #default="{ row }"><span :class="['cb-light', row.light]"></span>{{ t('light.' + (row.light || 'none')) }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.due')" width="170">
            <template #default="{ row }">{{ formatDateTime(row.due_at) }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.caseNo')" min-width="150">
            <template #default="{ row }"><a :href="caseLink(row.case_no)">{{ row.case_no }}</a></template>
          </el-table-column>
          <el-table-column :label="t('wb.stage')" width="100">
            <template #default="{ row }">{{ row.stage ? t('stage.' + row.stage) : '' }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.node')" min-width="120">
            <template #default="{ row }">
              <a :href="caseLink(row.case_no, row.id)" class="cb-task-link">{{ row.name || row.node_id }}</a>
            </template>
          </el-table-column>
          <el-table-column :label="t('wb.created')" width="170">
            <template #default="{ row }">{{ formatDateTime(row.created_at) }}</template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="80" fixed="right">
            <template #default="{ row }"><el-link type="primary" :href="caseLink(row.case_no, row.id)">{{ t('wb.open') }}</el-link></template>
          </el-table-column>
        </el-table>

        <el-table v-else-if="tab === 'done'" :data="rows" v-loading="loading" :empty-text="t('common.none')" stripe
                  class="cb-wb-table cb-done-table">
          <el-table-column :label="t('wb.caseNo')" min-width="150">
            <template #default="{ row }"><a :href="caseLink(row.case_no)">{{ row.case_no }}</a></template>
          </el-table-column>
          <el-table-column :label="t('wb.node')" min-width="120">
            <template #default="{ row }">{{ row.name || row.node_id }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.completedAt')" width="170">
            <template #default="{ row }">{{ formatDateTime(row.completed_at) }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.caseStatus')" width="100">
            <template #default="{ row }">{{ t('status.' + row.case_status) }}</template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="120" fixed="right">
            <template #default="{ row }">
              <el-link type="primary" :href="caseLink(row.case_no)">{{ t('wb.view') }}</el-link>
              <el-button v-if="row.withdrawable" link type="warning" size="small" class="cb-withdraw"
                         @click="withdraw(row)">{{ t('wb.withdraw') }}</el-button>
            </template>
          </el-table-column>
        </el-table>

        <el-table v-else-if="tab === 'copies'" :data="rows" v-loading="loading" :empty-text="t('common.none')" stripe
                  class="cb-wb-table cb-copies-table">
          <el-table-column :label="t('wb.caseNo')" min-width="150">
            <template #default="{ row }"><a href="#" @click.prevent="openCopy(row)">{{ row.case_no }}</a></template>
          </el-table-column>
          <el-table-column prop="sent_by" :label="t('wb.sentBy')" width="110" />
          <el-table-column :label="t('wb.sentAt')" width="170">
            <template #default="{ row }">{{ formatDateTime(row.sent_at) }}</template>
          </el-table-column>
          <el-table-column prop="note" :label="t('wb.note')" min-width="160" />
          <el-table-column :label="t('wb.read')" width="80">
            <template #default="{ row }"><el-tag :type="row.read ? 'info' : 'danger'" size="small">{{ row.read ? t('wb.read') : t('wb.unread') }}</el-tag></template>
          </el-table-column>
        </el-table>

        <el-table v-else :data="rows" v-loading="loading" :empty-text="t('common.none')" stripe
                  class="cb-wb-table cb-started-table">
          <el-table-column :label="t('wb.light')" width="110">
            <template #default="{ row }"><span :class="['cb-light', row.light]"></span>{{ t('light.' + (row.light || 'none')) }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.caseNo')" min-width="150">
            <template #default="{ row }"><a :href="caseLink(row.case_no)">{{ row.case_no }}</a></template>
          </el-table-column>
          <el-table-column :label="t('wb.stage')" width="100">
            <template #default="{ row }">{{ row.stage_name || row.stage }}</template>
          </el-table-column>
          <el-table-column :label="t('wb.caseStatus')" width="100">
            <template #default="{ row }">{{ t('status.' + row.status) }}</template>
          </el-table-column>
          <el-table-column prop="address" :label="t('wb.address')" min-width="160" />
          <el-table-column :label="t('wb.startedAt')" width="170">
            <template #default="{ row }">{{ formatDateTime(row.started_at) }}</template>
          </el-table-column>
        </el-table>

        <el-pagination v-if="paging.total > PAGE_SIZE" layout="total, prev, pager, next" :total="paging.total"
                       :page-size="PAGE_SIZE" :current-page="paging.page" @current-change="changePage" small
                       class="cb-pager" />
      </div>
    </app-shell>`,
};

if (requireLogin()) {
  document.title = `${t('wb.title')} · citybpm`;
  installI18n(createApp(WorkbenchPage)).mount('#app');
}
