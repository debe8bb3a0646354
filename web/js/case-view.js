// 案件详情: the case's data, the current user's open task on it (form rendered with the node's permissions,
// and exactly the operations GET /tasks/<id> offers, each with its dialog), the event timeline, the BPMN
// diagram with completed/active/overdue marks (and the called dispatch variant while work is inside it),
// linked cases and documents. After any operation everything is reloaded: the server is the truth.
import { createApp, computed, nextTick, onMounted, reactive, ref, shallowRef } from 'vue';
import { ElMessage } from 'element-plus';
import { api, ApiError, requireLogin } from './api.js';
import { addMessages, installI18n, t } from './i18n.js';
import { AppShell } from './shell.js';
import { renderForm } from './form-viewer.js';
import { DiagramView } from './diagram.js';
import { EVENT_LABELS_ZH, EVENT_LABELS_EN } from './case-events.js';

addMessages({
  zh: {
    'cv.title': '案件详情', 'cv.missingNo': '缺少案件编号（?no=）', 'cv.status': '状态', 'cv.stage': '阶段',
    'cv.light': '结案时限', 'cv.due': '结案期限', 'cv.rework': '返工次数', 'cv.supervised': '督办中',
    'cv.data': '案件信息', 'cv.source': '信息来源', 'cv.category': '问题类别', 'cv.grid': '单元网格', 'cv.address': '地址',
    'cv.description': '问题描述', 'cv.startedBy': '上报人', 'cv.startedAt': '上报时间', 'cv.outcome': '结果',
    'cv.photos': '照片', 'cv.task': '当前任务', 'cv.noTask': '您在本案件上没有待办任务。', 'cv.openTasks': '案件的待办环节',
    'cv.otherTask': '选择任务', 'cv.noForm': '此环节没有表单。', 'cv.refused': '提交未通过校验，请按提示修改',
    'cv.done': '{op}成功', 'cv.timeline': '办理记录', 'cv.diagram': '流程图', 'cv.calledDiagram': '子流程：{name}',
    'cv.legend.completed': '已完成', 'cv.legend.active': '办理中', 'cv.legend.overdue': '已超时',
    'cv.links': '关联案件', 'cv.documents': '文书', 'cv.print': '打印', 'cv.none': '无',
    'cv.to': '接收人', 'cv.users': '人员', 'cv.user': '人员', 'cv.reason': '原因', 'cv.opinion': '意见', 'cv.note': '附言',
    'cv.message': '催办内容', 'cv.amount': '延期时长', 'cv.amountHint': '按时限单位，留空为一个原时限', 'cv.until': '恢复计时时间',
    'cv.target': '退回到', 'cv.position': '加签方式', 'cv.before': '前加签（签署后再由我办理）', 'cv.after': '后加签（我提交后由加签人签署）',
    'cv.agree': '同意', 'cv.required': '请填写{label}', 'cv.assignee': '办理人', 'cv.candidates': '候选',
    'cv.actor': '操作人', 'cv.kind.enforcement': '执法案件', 'cv.dir.to': '本案派生', 'cv.dir.from': '来源案件',
    'cv.back': '返回工作台', 'cv.unread': '抄送', 'cv.loadFailed': '加载失败：{message}',
  },
  en: {
    'cv.title': 'Case', 'cv.missingNo': 'No case number (?no=)', 'cv.status': 'Status', 'cv.stage': 'Stage',
    'cv.light': 'Case limit', 'cv.due': 'Due', 'cv.rework': 'Reworks', 'cv.supervised': 'Supervised',
    'cv.data': 'Case data', 'cv.source': 'Source', 'cv.category': 'Category', 'cv.grid': 'Grid', 'cv.address': 'Address',
    'cv.description': 'Description', 'cv.startedBy': 'Reported by', 'cv.startedAt': 'Reported', 'cv.outcome': 'Outcome',
    'cv.photos': 'Photos', 'cv.task': 'Current task', 'cv.noTask': 'You have no open task on this case.', 'cv.openTasks': 'Open steps',
    'cv.otherTask': 'Task', 'cv.noForm': 'This step has no form.', 'cv.refused': 'Refused: see the messages',
    'cv.done': '{op}: done', 'cv.timeline': 'History', 'cv.diagram': 'Diagram', 'cv.calledDiagram': 'Called process: {name}',
    'cv.legend.completed': 'Completed', 'cv.legend.active': 'Active', 'cv.legend.overdue': 'Overdue',
    'cv.links': 'Linked cases', 'cv.documents': 'Documents', 'cv.print': 'Print', 'cv.none': 'None',
    'cv.to': 'To', 'cv.users': 'People', 'cv.user': 'Person', 'cv.reason': 'Reason', 'cv.opinion': 'Opinion', 'cv.note': 'Note',
    'cv.message': 'Message', 'cv.amount': 'Extension', 'cv.amountHint': 'In the limit unit; empty: one original limit', 'cv.until': 'Resume at',
    'cv.target': 'Return to', 'cv.position': 'Position', 'cv.before': 'Before (they sign, then I handle)', 'cv.after': 'After (they sign after my submission)',
    'cv.agree': 'Agree', 'cv.required': '{label} is required', 'cv.assignee': 'Assignee', 'cv.candidates': 'Candidates',
    'cv.actor': 'By', 'cv.kind.enforcement': 'Enforcement case', 'cv.dir.to': 'Derived', 'cv.dir.from': 'Origin',
    'cv.back': 'Back to the workbench', 'cv.unread': 'Copy', 'cv.loadFailed': 'Could not load: {message}',
    'status.running': 'Running', 'status.suspended': 'Suspended', 'status.completed': 'Completed', 'status.terminated': 'Terminated',
  },
});
addMessages({ zh: { 'status.running': '办理中', 'status.suspended': '挂账/暂停', 'status.completed': '已办结', 'status.terminated': '已终止' } });

// operation code (GET /tasks/<id> `operations`) → its endpoint and the dialog's fields; none: no dialog.
// Field kinds: user, users, text, textarea, number, datetime, target, position, agree.
const OPERATIONS = {
  complete: { path: 'complete', form: true },
  claim: { path: 'claim' },
  unclaim: { path: 'unclaim', fields: [['reason', 'textarea', false]] },
  transfer: { path: 'transfer', fields: [['to', 'user', true], ['reason', 'textarea', true]] },
  delegate: { path: 'delegate', fields: [['to', 'user', true], ['reason', 'textarea', true]] },
  resolve: { path: 'resolve', form: true, fields: [['opinion', 'textarea', true]] },
  return: { path: 'return', fields: [['target', 'target', true], ['reason', 'textarea', true]] },
  add_sign: { path: 'add-signers', fields: [['users', 'users', true], ['position', 'position', true], ['reason', 'textarea', true]] },
  remove_sign: { path: 'remove-signer', fields: [['user', 'user', true], ['reason', 'textarea', true]] },
  sign: { path: 'sign', fields: [['agree', 'agree', false], ['opinion', 'textarea', true]] },
  cc: { path: 'cc', fields: [['users', 'users', true], ['note', 'textarea', false]] },
  urge: { path: 'urge', fields: [['message', 'textarea', true]] },
  extend: { path: 'extension-requests', fields: [['reason', 'textarea', true], ['amount', 'number', false]] },
  hang: { path: 'hang-requests', fields: [['reason', 'textarea', true], ['until', 'datetime', false]] },
};
const DEFAULTS = { position: 'before', agree: true, message: '请尽快办理' };

function eventLabel(type) {
  const table = document.documentElement.lang === 'en' ? EVENT_LABELS_EN : EVENT_LABELS_ZH;
  return table[type] || type;
}

// what an event adds to its label: the reason, opinion or result the actor gave
function eventDetail(event) {
  const data = event.data || {};
  const parts = [];
  for (const key of ['reason', 'opinion', 'note', 'message', 'outcome', 'to', 'target', 'users', 'value', 'stage_name']) {
    if (data[key] !== undefined && data[key] !== null && data[key] !== '') parts.push(Array.isArray(data[key]) ? data[key].join('、') : String(data[key]));
  }
  return parts.join(' · ');
}

async function allEvents(caseNo) {
  const events = [];
  for (let page = 1; page <= 20; page += 1) {
    const { items, total } = await api.page(`/cases/${encodeURIComponent(caseNo)}/events`, { page, page_size: 100 });
    events.push(...items);
    if (events.length >= total || !items.length) break;
  }
  return events;
}

const CaseView = {
  components: { AppShell },
  setup() {
    const params = new URLSearchParams(location.search);
    const caseNo = params.get('no');
    const wantedTask = ref(params.get('task'));
    const theCase = ref(null);
    const task = ref(null);
    const events = ref([]);
    const links = ref([]);
    const documents = ref([]);
    const calledName = ref('');
    const loadError = ref(caseNo ? '' : t('cv.missingNo'));
    const otherErrors = ref([]);
    const busy = ref(false);
    const users = ref([]);
    const returnTargets = ref([]);
    const dialog = reactive({ open: false, code: '', name: '', values: {}, errors: {} });
    const formContainer = ref(null);
    const diagramContainer = ref(null);
    const calledContainer = ref(null);
    const showCalled = ref(false);
    let formView = null;
    const diagrams = { main: null, called: null };
    const caseUrl = (suffix = '') => `/cases/${encodeURIComponent(caseNo)}${suffix}`;

    // the user's own open tasks on this case, the URL's first
    const myTasks = computed(() => (theCase.value?.open_tasks || []).filter((row) => row.actionable));

    async function loadTask() {
      formView?.destroy();
      formView = null;
      otherErrors.value = [];
      const mine = myTasks.value;
      const id = mine.some((row) => row.id === wantedTask.value) ? wantedTask.value : mine[0]?.id;
      if (!id) { task.value = null; return; }
      try {
        task.value = await api.get(`/tasks/${encodeURIComponent(id)}`);
      } catch {
        task.value = null;
        return;
      }
      wantedTask.value = id;
      await nextTick();
      if (task.value.form && formContainer.value) {
        formView = await renderForm(formContainer.value, task.value.form, { data: task.value.data || {} });
      }
    }

    async function loadDiagram() {
      let shown;
      try { shown = await api.get(caseUrl('/diagram')); } catch { return; }
      diagrams.main ??= new DiagramView(diagramContainer.value);
      await diagrams.main.show(shown.xml, shown.nodes);
      // the called variant where the work is now (its call activity active or overdue in the parent)
      const current = Object.entries(shown.called || {}).find(([call]) => ['active', 'overdue'].includes(shown.nodes[call]));
      showCalled.value = Boolean(current);
      if (current) {
        await nextTick();
        diagrams.called ??= new DiagramView(calledContainer.value);
        calledName.value = current[1].process_id;
        await diagrams.called.show(current[1].xml, current[1].nodes);
        calledContainer.value.dataset.callActivity = current[0];
      }
    }

    async function load() {
      try {
        theCase.value = await api.get(caseUrl());
        document.title = `${theCase.value.case_no} · ${t('cv.title')} · citybpm`;
        await nextTick();  // the containers of the form and the diagrams exist from here on
      } catch (error) {
        loadError.value = t('cv.loadFailed', { message: error.message });
        return;
      }
      await Promise.all([
        loadTask(),
        loadDiagram(),
        allEvents(caseNo).then((rows) => { events.value = rows.slice().reverse(); }).catch(() => {}),
        api.get(caseUrl('/links')).then((rows) => { links.value = rows; }).catch(() => { links.value = []; }),
        api.get(caseUrl('/documents')).then((rows) => { documents.value = rows; }).catch(() => { documents.value = []; }),
      ]);
    }

    async function run(code, body) {
      const operation = OPERATIONS[code];
      busy.value = true;
      try {
        await api.post(`/tasks/${encodeURIComponent(task.value.id)}/${operation.path}`, body);
        ElMessage.closeAll();
        ElMessage.success(t('cv.done', { op: opName(code) }));
        dialog.open = false;
        await load();
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && error.errors.length) {
          placeErrors(error.errors, operation);
          ElMessage.error(t('cv.refused'));
        } else {
          ElMessage.error(error.message);
        }
        return false;
      } finally {
        busy.value = false;
      }
    }

    // a dialog's own fields get their messages; form data errors ("data.x" or "x") go under the form fields
    function placeErrors(errors, operation) {
      const dialogFields = new Set((operation.fields || []).map(([name]) => name));
      const forForm = [];
      dialog.errors = {};
      otherErrors.value = [];
      for (const error of errors) {
        const field = String(error.field || '').replace(/^data\./, '');
        if (dialog.open && dialogFields.has(field)) dialog.errors[field] = error.message;
        else forForm.push({ ...error, field });
      }
      const unplaced = formView ? formView.showErrors(forForm) : forForm;
      otherErrors.value = unplaced.map((e) => (e.field ? `${e.field}：${e.message}` : e.message));
    }

    function opName(code) {
      return task.value?.operations?.find((op) => op.code === code)?.name || code;
    }

    async function press(op) {
      const operation = OPERATIONS[op.code];
      if (!operation) return;
      if (!operation.fields) {
        await run(op.code, operation.form ? { data: formView ? formView.collect() : {} } : {});
        return;
      }
      dialog.code = op.code;
      dialog.name = op.name;
      dialog.errors = {};
      dialog.values = Object.fromEntries(operation.fields.map(([name, kind]) => [name, kind === 'users' ? [] : (DEFAULTS[name] ?? (kind === 'number' ? undefined : ''))]));
      if (op.code === 'return') {
        try { returnTargets.value = await api.get(`/tasks/${encodeURIComponent(task.value.id)}/return-targets`); } catch { returnTargets.value = []; }
      }
      if (operation.fields.some(([, kind]) => kind === 'user' || kind === 'users') && !users.value.length) {
        try { users.value = (await api.page('/users', { page_size: 200 })).items; } catch { users.value = []; }
      }
      dialog.open = true;
    }

    async function confirmDialog() {
      const operation = OPERATIONS[dialog.code];
      dialog.errors = {};
      const body = {};
      for (const [name, kind, required] of operation.fields) {
        const value = dialog.values[name];
        const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length);
        if (required && empty) dialog.errors[name] = t('cv.required', { label: t(`cv.${name}`) });
        else if (!empty) body[name] = kind === 'datetime' ? new Date(value).toISOString() : value;
      }
      if (Object.keys(dialog.errors).length) return;
      if (operation.form) body.data = formView ? formView.collect() : {};
      await run(dialog.code, body);
    }

    async function openPrint(doc) {
      // the print page needs the bearer header: fetch it, then show it from a blob
      try {
        const html = await api.get(`/documents/${doc.id}/print`);
        window.open(URL.createObjectURL(new Blob([html], { type: 'text/html' })), '_blank');
      } catch (error) {
        ElMessage.error(error.message);
      }
    }

    function chooseTask(id) {
      wantedTask.value = id;
      loadTask();
    }

    const variables = computed(() => theCase.value?.variables || {});
    onMounted(() => { if (caseNo) load(); });
    return { caseNo, theCase, task, events, links, documents, loadError, otherErrors, busy, users, returnTargets,
             dialog, formContainer, diagramContainer, calledContainer, showCalled, calledName, myTasks, variables,
             OPERATIONS, press, confirmDialog, openPrint, chooseTask, eventLabel, eventDetail,
             caseLink: (no) => `/cases/case.html?no=${encodeURIComponent(no)}` };
  },
  template: `
    <app-shell active="workbench">
      <el-alert v-if="loadError" :title="loadError" type="error" :closable="false" show-icon />
      <div v-if="theCase" class="cb-case">
        <div class="cb-card cb-case-head">
          <h1 class="cb-case-no">{{ theCase.case_no }}</h1>
          <el-tag class="cb-case-status">{{ t('status.' + theCase.status) }}</el-tag>
          <span class="cb-case-stage">{{ t('cv.stage') }}：<b>{{ theCase.stage_name || theCase.stage }}</b></span>
          <span v-if="theCase.due_at"><span :class="['cb-light', theCase.light]"></span>{{ t('cv.due') }}：{{ formatDateTime(theCase.due_at) }}</span>
          <span class="cb-case-rework">{{ t('cv.rework') }}：{{ theCase.rework_count || 0 }}</span>
          <el-tag v-if="theCase.supervised_at" type="danger">{{ t('cv.supervised') }}</el-tag>
          <span class="cb-spacer"></span>
          <el-link href="/workbench.html" type="primary">{{ t('cv.back') }}</el-link>
        </div>

        <div class="cb-case-grid">
          <div class="cb-card cb-case-task">
            <div class="cb-toolbar">
              <span class="cb-title">{{ t('cv.task') }}</span>
              <template v-if="task">
                <b class="cb-task-name">{{ task.name || task.node_id }}</b>
                <span><span :class="['cb-light', task.light]"></span>{{ task.due_at ? formatDateTime(task.due_at) : '' }}</span>
              </template>
              <span class="cb-spacer"></span>
              <el-select v-if="myTasks.length > 1" :model-value="task && task.id" size="small" style="width: 160px"
                         @change="chooseTask">
                <el-option v-for="row in myTasks" :key="row.id" :value="row.id" :label="row.name || row.node_id" />
              </el-select>
            </div>
            <template v-if="task">
              <div class="cb-ops">
                <el-button v-for="op in task.operations.filter(o => OPERATIONS[o.code])" :key="op.code"
                           :type="op.code === 'complete' || op.code === 'resolve' || op.code === 'sign' ? 'primary' : 'default'"
                           :class="'cb-op cb-op-' + op.code" :loading="busy" size="small" @click="press(op)">{{ op.name }}</el-button>
              </div>
              <div v-show="task.form" ref="formContainer" class="cb-form cb-case-form"></div>
              <p v-if="!task.form" class="cb-muted">{{ t('cv.noForm') }}</p>
              <div v-if="otherErrors.length" class="cb-form-errors">
                <b>{{ t('form.otherErrors') }}</b>
                <ul><li v-for="m in otherErrors">{{ m }}</li></ul>
              </div>
            </template>
            <template v-else>
              <p class="cb-muted cb-no-task">{{ t('cv.noTask') }}</p>
              <div v-if="theCase.open_tasks.length">
                <h4>{{ t('cv.openTasks') }}</h4>
                <ul class="cb-open-tasks">
                  <li v-for="row in theCase.open_tasks" :key="row.id">
                    <span :class="['cb-light', row.light]"></span>{{ row.name || row.node_id }}
                    <span class="cb-muted">{{ row.assignee ? t('cv.assignee') + '：' + row.assignee : t('cv.candidates') + '：' + (row.candidates || []).join('、') }}</span>
                  </li>
                </ul>
              </div>
            </template>
          </div>

          <div class="cb-card cb-case-data">
            <div class="cb-toolbar"><span class="cb-title">{{ t('cv.data') }}</span></div>
            <el-descriptions :column="1" size="small" border>
              <el-descriptions-item :label="t('cv.source')">{{ theCase.source }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.category')">{{ theCase.category_code }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.grid')">{{ theCase.grid_code }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.address')">{{ theCase.address }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.description')">{{ variables.description }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.photos')">{{ (variables.photos || []).length }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.startedBy')">{{ theCase.started_by }}</el-descriptions-item>
              <el-descriptions-item :label="t('cv.startedAt')">{{ formatDateTime(theCase.started_at) }}</el-descriptions-item>
              <el-descriptions-item v-if="theCase.outcome" :label="t('cv.outcome')">{{ theCase.outcome }}</el-descriptions-item>
            </el-descriptions>
          </div>
        </div>

        <div class="cb-card cb-case-diagram-card">
          <div class="cb-toolbar">
            <span class="cb-title">{{ t('cv.diagram') }}</span>
            <span class="cb-legend"><i class="completed"></i>{{ t('cv.legend.completed') }}<i class="active"></i>{{ t('cv.legend.active') }}<i class="overdue"></i>{{ t('cv.legend.overdue') }}</span>
          </div>
          <div ref="diagramContainer" class="cb-diagram cb-diagram-main"></div>
          <div v-show="showCalled">
            <h4 class="cb-called-title">{{ t('cv.calledDiagram', { name: calledName }) }}</h4>
            <div ref="calledContainer" class="cb-diagram cb-diagram-called"></div>
          </div>
        </div>

        <div class="cb-case-grid">
          <div class="cb-card cb-case-timeline">
            <div class="cb-toolbar"><span class="cb-title">{{ t('cv.timeline') }}</span></div>
            <el-timeline>
              <el-timeline-item v-for="e in events" :key="e.id" :timestamp="formatDateTime(e.at)" placement="top"
                                :type="e.type === 'task.completed' ? 'success' : (e.type.endsWith('overdue') ? 'danger' : 'primary')">
                <span :class="'cb-event cb-event-' + e.type.replace('.', '-')"><b>{{ eventLabel(e.type) }}</b>
                  <span v-if="e.node_id"> · {{ (e.data && e.data.name) || e.node_id }}</span>
                  <span v-if="e.actor" class="cb-muted"> · {{ e.actor }}</span></span>
                <div v-if="eventDetail(e)" class="cb-muted cb-event-detail">{{ eventDetail(e) }}</div>
              </el-timeline-item>
            </el-timeline>
          </div>
          <div class="cb-case-side">
            <div class="cb-card cb-case-links">
              <div class="cb-toolbar"><span class="cb-title">{{ t('cv.links') }}</span></div>
              <p v-if="!links.length" class="cb-muted">{{ t('cv.none') }}</p>
              <ul v-else><li v-for="l in links" :key="l.case_no">
                <el-tag size="small">{{ t('cv.dir.' + l.direction) }}</el-tag>
                <a :href="caseLink(l.case_no)">{{ l.case_no }}</a> {{ t('cv.kind.' + l.kind) }} · {{ t('status.' + l.status) }}
              </li></ul>
            </div>
            <div class="cb-card cb-case-documents">
              <div class="cb-toolbar"><span class="cb-title">{{ t('cv.documents') }}</span></div>
              <p v-if="!documents.length" class="cb-muted">{{ t('cv.none') }}</p>
              <ul v-else><li v-for="d in documents" :key="d.id">
                {{ d.title }} <span class="cb-muted">{{ d.number }}</span>
                <el-button link type="primary" size="small" @click="openPrint(d)">{{ t('cv.print') }}</el-button>
              </li></ul>
            </div>
          </div>
        </div>
      </div>

      <el-dialog v-model="dialog.open" :title="dialog.name" width="520px" class="cb-op-dialog" :close-on-click-modal="false">
        <el-form v-if="dialog.code" label-width="96px" @submit.prevent>
          <el-form-item v-for="[name, kind, required] in OPERATIONS[dialog.code].fields" :key="name" :label="t('cv.' + name)"
                        :required="required" :error="dialog.errors[name]" :class="'cb-op-field-' + name">
            <el-select v-if="kind === 'user' || kind === 'users'" v-model="dialog.values[name]" :multiple="kind === 'users'"
                       filterable allow-create default-first-option :reserve-keyword="false" style="width: 100%">
              <el-option v-for="u in users" :key="u.username" :value="u.username" :label="u.username + ' ' + (u.display_name || '')" />
            </el-select>
            <el-select v-else-if="kind === 'target'" v-model="dialog.values[name]" style="width: 100%">
              <el-option v-for="r in returnTargets" :key="r.node_id" :value="r.node_id" :label="(r.name || r.node_id) + (r.completed_by ? '（' + r.completed_by + '）' : '')" />
            </el-select>
            <el-radio-group v-else-if="kind === 'position'" v-model="dialog.values[name]">
              <el-radio value="before">{{ t('cv.before') }}</el-radio>
              <el-radio value="after">{{ t('cv.after') }}</el-radio>
            </el-radio-group>
            <el-switch v-else-if="kind === 'agree'" v-model="dialog.values[name]" />
            <el-input-number v-else-if="kind === 'number'" v-model="dialog.values[name]" :min="0" :step="1" :placeholder="t('cv.amountHint')" />
            <el-date-picker v-else-if="kind === 'datetime'" v-model="dialog.values[name]" type="datetime" />
            <el-input v-else v-model="dialog.values[name]" :type="kind" :rows="3" :name="name" />
          </el-form-item>
        </el-form>
        <template #footer>
          <el-button @click="dialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="busy" @click="confirmDialog" class="cb-op-confirm">{{ t('common.ok') }}</el-button>
        </template>
      </el-dialog>
    </app-shell>`,
};

if (requireLogin()) {
  document.title = `${t('cv.title')} · citybpm`;
  installI18n(createApp(CaseView)).mount('#app');
}
