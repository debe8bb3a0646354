// The task page: the task's form as the server rewrote it for this node (read-only fields marked, hidden
// ones removed), submitted to POST /api/v1/tasks/<id>/complete. A refusal (422) is shown field by field
// and the page stays as it is, with everything entered still there.
import { createApp, nextTick, onMounted, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api, ApiError, currentUser, logout, requireLogin } from './api.js';
import { installI18n, t } from './i18n.js';
import { renderForm } from './form-viewer.js';

// One message at a time: the refusal's toast must not linger over the success.
function notify(type, message) {
  ElMessage.closeAll();
  ElMessage({ type, message });
}

const TaskPage = {
  setup() {
    const taskId = new URLSearchParams(location.search).get('id');
    const task = ref(null);
    const loadError = ref(taskId ? '' : t('task.missingId'));
    const otherErrors = ref([]);
    const submitting = ref(false);
    const nextTasks = ref(null);  // null until completed; then the case's open tasks
    const formContainer = ref(null);
    const nextTasksCard = ref(null);
    let view = null;  // form-js lives outside Vue's reactivity: proxies would break its internals

    async function load() {
      try {
        task.value = await api.get(`/tasks/${encodeURIComponent(taskId)}`);
        document.title = `${task.value.name || t('task.title')} · citybpm`;
        await nextTick();
        if (task.value.form) view = await renderForm(formContainer.value, task.value.form, { data: task.value.data || {} });
      } catch (error) {
        loadError.value = error.message;
      }
    }

    async function submit() {
      const data = view ? view.collect() : {};
      submitting.value = true;
      otherErrors.value = [];
      try {
        nextTasks.value = await api.post(`/tasks/${encodeURIComponent(taskId)}/complete`, { data });
        view?.lock();
        notify('success', t('task.submitted'));
        await nextTick();
        nextTasksCard.value?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && error.errors.length) {
          const unplaced = view ? view.showErrors(error.errors) : error.errors;
          otherErrors.value = unplaced.map((e) => (e.field ? t('form.fieldMessage', e) : e.message));
          notify('error', t('task.refused'));
        } else {
          notify('error', error.message);
        }
      } finally {
        submitting.value = false;
      }
    }

    onMounted(() => { if (taskId) load(); });
    return { task, loadError, otherErrors, submitting, nextTasks, formContainer, nextTasksCard, submit,
             user: currentUser(), logout };
  },
  template: `
    <div class="cb-page">
      <header class="cb-header">
        <span class="cb-brand">{{ t('app.name') }}</span>
        <nav>
          <a href="/index.html">{{ t('nav.home') }}</a>
          <a href="/inbox.html">{{ t('nav.inbox') }}</a>
          <a href="/forms/designer.html">{{ t('nav.designer') }}</a>
        </nav>
        <span class="cb-user">{{ user && (user.display_name || user.username) }}</span>
        <lang-switch />
        <el-button text size="small" @click="logout">{{ t('nav.logout') }}</el-button>
      </header>
      <main class="cb-main">
        <div class="cb-task">
          <el-alert v-if="loadError" :title="loadError" type="error" :closable="false" show-icon />
          <!-- the actions sit above the form: leaving a field re-validates it and can remove an error line,
               which would move a button below the form from under the pointer mid-click -->
          <div v-if="task" class="cb-card cb-task-head">
            <h1>{{ task.name || task.node_id }}</h1>
            <span>{{ t('task.case') }}：<b class="cb-case-no">{{ task.case_no }}</b></span>
            <span><span :class="['cb-light', task.light]"></span>{{ t('light.' + (task.light || 'none')) }}</span>
            <span v-if="task.due_at">{{ t('task.due') }}：{{ formatDateTime(task.due_at) }}</span>
            <span class="cb-spacer"></span>
            <el-button v-if="nextTasks === null" type="primary" :loading="submitting" @click="submit" class="cb-submit">
              {{ t('task.submit') }}</el-button>
          </div>
          <div v-show="task" class="cb-card">
            <div v-show="task && task.form" ref="formContainer" class="cb-form"></div>
            <p v-if="task && !task.form" class="cb-muted">{{ t('task.noForm') }}</p>
            <div v-if="otherErrors.length" class="cb-form-errors">
              <b>{{ t('form.otherErrors') }}</b>
              <ul><li v-for="message in otherErrors">{{ message }}</li></ul>
            </div>
          </div>
          <div v-if="nextTasks !== null" ref="nextTasksCard" class="cb-card cb-next-tasks">
            <el-result icon="success" :title="t('task.submitted')" style="padding: 8px 0" />
            <h3>{{ t('task.next') }}</h3>
            <p v-if="!nextTasks.length" class="cb-muted">{{ t('task.noNext') }}</p>
            <el-table v-else :data="nextTasks" size="small">
              <el-table-column :label="t('inbox.task')">
                <template #default="{ row }">
                  <a v-if="row.actionable" :href="'/tasks/task.html?id=' + encodeURIComponent(row.id)">{{ row.name || row.node_id }}</a>
                  <span v-else>{{ row.name || row.node_id }}</span>
                </template>
              </el-table-column>
              <el-table-column :label="t('inbox.light')" width="120">
                <template #default="{ row }"><span :class="['cb-light', row.light]"></span>{{ t('light.' + (row.light || 'none')) }}</template>
              </el-table-column>
              <el-table-column :label="t('inbox.due')" width="180">
                <template #default="{ row }">{{ formatDateTime(row.due_at) }}</template>
              </el-table-column>
            </el-table>
            <p><el-link type="primary" href="/workbench.html">{{ t('task.backToInbox') }}</el-link></p>
          </div>
        </div>
      </main>
    </div>`,
};

if (requireLogin()) {
  document.title = `${t('task.title')} · citybpm`;
  installI18n(createApp(TaskPage)).mount('#app');
}
