// 系统配置: every parameter with its description, an input that fits its type, save and reset to default.
import { onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { ApiError, api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { confirmAction, mountAdminPage } from './layout.js';

addMessages({
  zh: {
    'settings.key': '参数', 'settings.value': '当前值', 'settings.default': '默认值', 'settings.changed': '已修改',
    'settings.updated': '修改人/时间', 'settings.reset': '恢复默认', 'settings.badJson': '不是有效的 JSON',
    'settings.confirmReset': '把“{key}”恢复为默认值 {value}？',
  },
  en: {
    'settings.key': 'Parameter', 'settings.value': 'Value', 'settings.default': 'Default', 'settings.changed': 'Changed',
    'settings.updated': 'Changed by / at', 'settings.reset': 'Reset', 'settings.badJson': 'Not valid JSON',
    'settings.confirmReset': 'Reset "{key}" to its default {value}?',
  },
});

const isStructured = (type) => type === 'object' || type === 'list';
const shown = (value) => (typeof value === 'object' ? JSON.stringify(value) : String(value));

// The editable text of a row: JSON for objects and lists, the value itself otherwise.
function draftOf(entry) {
  return isStructured(entry.type) ? JSON.stringify(entry.value, null, 2) : entry.value;
}

const SettingsPage = {
  setup() {
    const rows = ref([]);
    const drafts = reactive({});
    const errors = reactive({});
    const loading = ref(false);

    function take(entry) {
      drafts[entry.key] = draftOf(entry);
      delete errors[entry.key];
    }
    async function load() {
      loading.value = true;
      try {
        rows.value = await api.get('/settings');
        rows.value.forEach(take);
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }
    function replace(entry) {
      rows.value = rows.value.map((row) => (row.key === entry.key ? entry : row));
      take(entry);
    }
    async function call(entry, action) {
      try {
        replace(await action());
        ElMessage.success(t('admin.saved'));
      } catch (error) {
        const messages = error instanceof ApiError && error.errors.length ? error.errors.map((e) => e.message) : [error.message];
        errors[entry.key] = messages.join('；');
      }
    }
    function save(entry) {
      let value = drafts[entry.key];
      if (isStructured(entry.type)) {
        try { value = JSON.parse(value); } catch { errors[entry.key] = t('settings.badJson'); return; }
      }
      call(entry, () => api.put(`/settings/${encodeURIComponent(entry.key)}`, { value }));
    }
    async function reset(entry) {
      if (!await confirmAction(t('settings.confirmReset', { key: entry.key, value: shown(entry.default) }))) return;
      call(entry, () => api.delete(`/settings/${encodeURIComponent(entry.key)}`));
    }
    onMounted(load);
    return { rows, drafts, errors, loading, save, reset, isStructured, shown };
  },
  template: `
    <admin-layout page="settings">
      <div class="cb-card">
        <div class="cb-toolbar"><span class="cb-title">{{ t('admin.settings') }}</span></div>
        <el-table :data="rows" v-loading="loading" row-key="key" :empty-text="t('common.none')" class="cb-settings-table">
          <el-table-column :label="t('settings.key')" min-width="260">
            <template #default="{ row }">
              <div><code>{{ row.key }}</code> <el-tag v-if="!row.is_default" size="small" type="warning">{{ t('settings.changed') }}</el-tag></div>
              <div class="cb-admin-desc">{{ row.description }}</div>
            </template>
          </el-table-column>
          <el-table-column :label="t('settings.value')" min-width="280">
            <template #default="{ row }">
              <el-input-number v-if="row.type === 'integer' || row.type === 'number'" v-model="drafts[row.key]"
                               :step="row.type === 'integer' ? 1 : 0.05" :precision="row.type === 'integer' ? 0 : undefined"
                               :name="row.key" controls-position="right" />
              <el-input v-else-if="isStructured(row.type)" v-model="drafts[row.key]" type="textarea" autosize :name="row.key" />
              <el-input v-else v-model="drafts[row.key]" :name="row.key" />
              <div v-if="errors[row.key]" class="el-form-item__error cb-settings-error" style="position: static">{{ errors[row.key] }}</div>
            </template>
          </el-table-column>
          <el-table-column :label="t('settings.default')" width="140">
            <template #default="{ row }"><span class="cb-admin-desc">{{ shown(row.default) }}</span></template>
          </el-table-column>
          <el-table-column :label="t('settings.updated')" width="150">
            <template #default="{ row }"><span class="cb-admin-desc">{{ row.updated_by }}<br>{{ formatDateTime(row.updated_at) }}</span></template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="140" fixed="right">
            <template #default="{ row }">
              <el-button link type="primary" @click="save(row)">{{ t('admin.save') }}</el-button>
              <el-button link type="warning" :disabled="row.is_default" @click="reset(row)">{{ t('settings.reset') }}</el-button>
            </template>
          </el-table-column>
        </el-table>
      </div>
    </admin-layout>`,
};

mountAdminPage('settings', SettingsPage);
