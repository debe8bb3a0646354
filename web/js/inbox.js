// A minimal inbox: GET /api/v1/tasks, one row per task with its traffic light and a link to the task page.
import { createApp, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api, currentUser, logout, requireLogin } from './api.js';
import { installI18n, t } from './i18n.js';

const PAGE_SIZE = 20;

const InboxPage = {
  setup() {
    const tasks = ref([]);
    const paging = reactive({ page: 1, total: 0 });
    const loading = ref(false);

    async function load() {
      loading.value = true;
      try {
        const { items, total } = await api.page('/tasks', { page: paging.page, page_size: PAGE_SIZE, sort: 'due' });
        tasks.value = items;
        paging.total = total;
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }

    function changePage(page) {
      paging.page = page;
      load();
    }

    onMounted(load);
    return { tasks, paging, loading, load, changePage, user: currentUser(), logout, PAGE_SIZE };
  },
  template: `
    <div class="cb-page">
      <header class="cb-header">
        <span class="cb-brand">{{ t('app.name') }}</span>
        <nav>
          <a href="/index.html">{{ t('nav.home') }}</a>
          <a href="/inbox.html" class="active">{{ t('nav.inbox') }}</a>
          <a href="/forms/designer.html">{{ t('nav.designer') }}</a>
        </nav>
        <span class="cb-user">{{ user && (user.display_name || user.username) }}</span>
        <lang-switch />
        <el-button text size="small" @click="logout">{{ t('nav.logout') }}</el-button>
      </header>
      <main class="cb-main">
        <div class="cb-card">
          <div class="cb-toolbar" style="margin-bottom: 12px">
            <span class="cb-title">{{ t('inbox.title') }}</span>
            <span class="cb-spacer"></span>
            <el-button size="small" @click="load">{{ t('inbox.refresh') }}</el-button>
          </div>
          <el-table :data="tasks" v-loading="loading" :empty-text="t('common.none')" stripe class="cb-inbox-table">
            <el-table-column :label="t('inbox.light')" width="110">
              <template #default="{ row }">
                <span :class="['cb-light', row.light]"></span>{{ t('light.' + (row.light || 'none')) }}
              </template>
            </el-table-column>
            <el-table-column prop="case_no" :label="t('inbox.case')" width="180" />
            <el-table-column :label="t('inbox.task')" min-width="160">
              <template #default="{ row }">
                <a :href="'/tasks/task.html?id=' + encodeURIComponent(row.id)" class="cb-task-link">{{ row.name || row.node_id }}</a>
              </template>
            </el-table-column>
            <el-table-column prop="stage" :label="t('inbox.stage')" width="110" />
            <el-table-column :label="t('inbox.created')" width="180">
              <template #default="{ row }">{{ formatDateTime(row.created_at) }}</template>
            </el-table-column>
            <el-table-column :label="t('inbox.due')" width="180">
              <template #default="{ row }">{{ formatDateTime(row.due_at) }}</template>
            </el-table-column>
            <el-table-column :label="t('common.actions')" width="100">
              <template #default="{ row }">
                <el-link type="primary" :href="'/tasks/task.html?id=' + encodeURIComponent(row.id)">{{ t('inbox.open') }}</el-link>
              </template>
            </el-table-column>
          </el-table>
          <el-pagination v-if="paging.total > PAGE_SIZE" layout="total, prev, pager, next" :total="paging.total"
                         :page-size="PAGE_SIZE" :current-page="paging.page" @current-change="changePage"
                         style="margin-top: 12px; justify-content: flex-end" />
        </div>
      </main>
    </div>`,
};

if (requireLogin()) {
  document.title = `${t('inbox.title')} · citybpm`;
  installI18n(createApp(InboxPage)).mount('#app');
}
