// 审计日志: who changed which configuration, person or permission, when, before and after; newest first, paged.
import { onMounted, reactive } from 'vue';
import { addMessages } from '../i18n.js';
import { mountAdminPage, usePaged } from './layout.js';

addMessages({
  zh: {
    'audit.at': '时间', 'audit.actor': '操作人', 'audit.action': '动作', 'audit.actionHint': '如 user. 或 role.update',
    'audit.target': '对象', 'audit.range': '时间范围', 'audit.before': '修改前', 'audit.after': '修改后', 'audit.ip': '地址',
    'audit.from': '开始', 'audit.to': '结束',
  },
  en: {
    'audit.at': 'When', 'audit.actor': 'Who', 'audit.action': 'Action', 'audit.actionHint': 'e.g. user. or role.update',
    'audit.target': 'Target', 'audit.range': 'Period', 'audit.before': 'Before', 'audit.after': 'After', 'audit.ip': 'Address',
    'audit.from': 'From', 'audit.to': 'To',
  },
});

const AuditPage = {
  setup() {
    const filters = reactive({ actor: '', action: '', range: null });
    const list = usePaged('/audit', () => ({
      actor: filters.actor.trim(), action: filters.action.trim(),
      from: filters.range ? filters.range[0].toISOString() : undefined,
      to: filters.range ? filters.range[1].toISOString() : undefined,
    }));
    const json = (value) => (value == null ? '' : JSON.stringify(value, null, 1));
    onMounted(list.load);
    return { filters, list, json };
  },
  template: `
    <admin-layout page="audit">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.audit') }}</span>
          <el-input v-model="filters.actor" :placeholder="t('audit.actor')" clearable style="width: 120px" name="actor" @keyup.enter="list.search" />
          <el-input v-model="filters.action" :placeholder="t('audit.actionHint')" clearable style="width: 170px" name="action" @keyup.enter="list.search" />
          <el-date-picker v-model="filters.range" type="datetimerange" :start-placeholder="t('audit.from')"
                          :end-placeholder="t('audit.to')" style="width: 340px" />
          <el-button type="primary" @click="list.search">{{ t('admin.search') }}</el-button>
        </div>
        <el-table :data="list.state.items" v-loading="list.state.loading" size="small" :empty-text="t('common.none')" class="cb-audit-table">
          <el-table-column type="expand">
            <template #default="{ row }">
              <div class="cb-admin-split" style="padding: 0 16px">
                <div style="flex: 1"><b>{{ t('audit.before') }}</b><pre class="cb-json">{{ json(row.before) }}</pre></div>
                <div style="flex: 1"><b>{{ t('audit.after') }}</b><pre class="cb-json">{{ json(row.after) }}</pre></div>
              </div>
            </template>
          </el-table-column>
          <el-table-column :label="t('audit.at')" width="170"><template #default="{ row }">{{ formatDateTime(row.at) }}</template></el-table-column>
          <el-table-column prop="actor" :label="t('audit.actor')" width="110" />
          <el-table-column prop="action" :label="t('audit.action')" width="180" />
          <el-table-column :label="t('audit.target')" min-width="180"><template #default="{ row }">{{ row.target_type }} · {{ row.target_id }}</template></el-table-column>
          <el-table-column prop="ip" :label="t('audit.ip')" width="120" />
        </el-table>
        <paging :list="list" />
      </div>
    </admin-layout>`,
};

mountAdminPage('audit', AuditPage);
