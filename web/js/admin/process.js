// 流程配置: per process, its versions (suspend/activate) and per user task the candidate strategy, the fallback,
// the allowed operations and the time-limit code that override the BPMN file.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { attempt, confirmAction, fetchAll, mountAdminPage, useErrors } from './layout.js';

addMessages({
  zh: {
    'process.processes': '流程', 'process.versions': '版本', 'process.version': '版本', 'process.status': '状态',
    'process.status.active': '启用', 'process.status.suspended': '已停用', 'process.deployedAt': '部署时间',
    'process.suspend': '停用', 'process.activate': '启用', 'process.nodes': '环节配置（最新版本）',
    'process.node': '环节', 'process.bpmn': 'BPMN 中的办理人', 'process.override': '覆盖配置',
    'process.strategy': '办理人策略', 'process.fallback': '无人时兜底', 'process.operations': '允许的操作',
    'process.timeLimit': '时限代码', 'process.asBpmn': '按 BPMN', 'process.allOperations': '全部操作',
    'process.editTitle': '环节配置：{name}', 'process.removeSetting': '删除配置',
    'process.confirmSuspend': '停用 {key} 第 {version} 版？之后不再以它启动新案件，运行中的案件照常办理。',
    'process.confirmActivate': '启用 {key} 第 {version} 版？',
    'process.confirmRemove': '删除环节“{name}”的配置，恢复为 BPMN 中的设置？',
    'process.limitOperations': '只允许选中的操作',
    'process.param.role': '角色', 'process.param.org': '机构编码', 'process.param.levels': '向上级数',
    'process.param.field': '表单字段', 'process.param.expression': '表达式', 'process.param.decision': '决策表',
    'process.param.username': '用户名',
  },
  en: {
    'process.processes': 'Processes', 'process.versions': 'Versions', 'process.version': 'Version',
    'process.status': 'Status', 'process.status.active': 'Active', 'process.status.suspended': 'Suspended',
    'process.deployedAt': 'Deployed', 'process.suspend': 'Suspend', 'process.activate': 'Activate',
    'process.nodes': 'Node settings (latest version)', 'process.node': 'Node', 'process.bpmn': 'Candidates in BPMN',
    'process.override': 'Override', 'process.strategy': 'Candidates', 'process.fallback': 'Fallback',
    'process.operations': 'Allowed operations', 'process.timeLimit': 'Time limit', 'process.asBpmn': 'As in BPMN',
    'process.allOperations': 'All operations', 'process.editTitle': 'Node {name}',
    'process.removeSetting': 'Remove setting',
    'process.confirmSuspend': 'Suspend {key} version {version}? No new case starts on it; running ones go on.',
    'process.confirmActivate': 'Activate {key} version {version}?',
    'process.confirmRemove': 'Remove the setting of "{name}" and go back to the BPMN file?',
    'process.limitOperations': 'Only the checked operations',
    'process.param.role': 'Role', 'process.param.org': 'Organisation', 'process.param.levels': 'Levels up',
    'process.param.field': 'Form field', 'process.param.expression': 'Expression', 'process.param.decision': 'Decision',
    'process.param.username': 'Username',
  },
});

const FIELDS = ['candidate_strategy', 'fallback', 'allowed_operations', 'time_limit'];

// A strategy as the dialog edits it ({kind, value}) and as the API takes it ({kind, <parameter>: value}).
function toForm(strategy, options) {
  if (!strategy) return { kind: '', value: '' };
  const parameter = options.find((o) => o.code === strategy.kind)?.parameter;
  return { kind: strategy.kind, value: parameter ? strategy[parameter] ?? '' : '' };
}
function toBody(form, options) {
  if (!form.kind) return null;
  const parameter = options.find((o) => o.code === form.kind)?.parameter;
  if (!parameter) return { kind: form.kind };
  return { kind: form.kind, [parameter]: parameter === 'levels' ? Number(form.value) : form.value };
}

function useNodeDialog(options, reloadNodes) {
  const dialog = reactive({ open: false, node: null, saving: false, form: null });
  const errors = useErrors(FIELDS);
  function open(node) {
    const s = node.settings || {};
    dialog.form = {
      strategy: toForm(s.candidate_strategy, options.strategies), fallback: toForm(s.fallback, options.fallbacks),
      limitOperations: Array.isArray(s.allowed_operations), operations: [...(s.allowed_operations || [])],
      time_limit: s.time_limit || '',
    };
    Object.assign(dialog, { open: true, node });
    errors.clear();
  }
  const path = () => `/processes/${encodeURIComponent(dialog.node.processKey)}/nodes/${encodeURIComponent(dialog.node.node_id)}/settings`;
  async function save() {
    const f = dialog.form;
    dialog.saving = true;
    errors.clear();
    try {
      await api.put(path(), {
        candidate_strategy: toBody(f.strategy, options.strategies), fallback: toBody(f.fallback, options.fallbacks),
        allowed_operations: f.limitOperations ? f.operations : null, time_limit: f.time_limit || null,
      });
      ElMessage.success(t('admin.saved'));
      dialog.open = false;
      reloadNodes();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  async function remove() {
    if (!await confirmAction(t('process.confirmRemove', { name: dialog.node.name || dialog.node.node_id }))) return;
    if (await attempt(() => api.delete(path()), t('admin.done')) !== undefined) {
      dialog.open = false;
      reloadNodes();
    }
  }
  return { dialog, errors, openNode: open, saveNode: save, removeNode: remove };
}

const ProcessPage = {
  setup() {
    const keys = ref([]);
    const selected = ref('');
    const versions = ref([]);
    const nodes = ref([]);
    const options = reactive({ strategies: [], fallbacks: [], operations: [], time_limits: [] });
    const loading = ref(false);
    const names = computed(() => Object.fromEntries(
      [...options.strategies, ...options.fallbacks, ...options.operations, ...options.time_limits].map((o) => [o.code, o.name])));

    async function loadProcess() {
      if (!selected.value) return;
      loading.value = true;
      const key = encodeURIComponent(selected.value);
      try {
        const [list, detail] = await Promise.all([api.get(`/definitions/${key}/versions`), api.get(`/processes/${key}/nodes`)]);
        versions.value = list;
        nodes.value = detail.nodes.map((node) => ({ ...node, processKey: selected.value }));
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }
    async function setStatus(row, status) {
      const params = { key: row.key, version: row.version };
      if (!await confirmAction(t(status === 'suspended' ? 'process.confirmSuspend' : 'process.confirmActivate', params))) return;
      const action = status === 'suspended' ? 'suspend' : 'activate';
      await attempt(() => api.post(`/definitions/${encodeURIComponent(row.key)}/versions/${row.version}/${action}`), t('admin.done'));
      loadProcess();
    }
    const summary = (strategy) => {
      if (!strategy) return t('process.asBpmn');
      const value = Object.entries(strategy).find(([name]) => name !== 'kind');
      return `${names.value[strategy.kind] || strategy.kind}${value ? `：${value[1]}` : ''}`;
    };
    const bpmnCandidates = (b) => [...new Set([b.assignee, ...b.candidate_users, ...b.candidate_groups, b.lane_role]
      .filter(Boolean))].join('、');
    onMounted(async () => {
      const [definitions, configOptions] = await Promise.all([fetchAll('/definitions'), api.get('/processes/config-options')]);
      Object.assign(options, configOptions);
      const seen = new Map();
      definitions.forEach((d) => { if (!seen.has(d.key)) seen.set(d.key, d.name || d.key); });
      keys.value = [...seen].map(([key, name]) => ({ key, name }));
      selected.value = keys.value.find((k) => k.key === 'closed_loop')?.key || keys.value[0]?.key || '';
      loadProcess();
    });
    return { keys, selected, versions, nodes, options, loading, names, loadProcess, setStatus, summary, bpmnCandidates,
      ...useNodeDialog(options, loadProcess) };
  },
  template: `
    <admin-layout page="process">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.process') }}</span>
          <el-select v-model="selected" filterable style="width: 320px" class="cb-process-select" @change="loadProcess">
            <el-option v-for="k in keys" :key="k.key" :label="k.name + '（' + k.key + '）'" :value="k.key" />
          </el-select>
        </div>
        <h4>{{ t('process.versions') }}</h4>
        <el-table :data="versions" v-loading="loading" size="small" :empty-text="t('common.none')" class="cb-process-versions" max-height="220">
          <el-table-column prop="version" :label="t('process.version')" width="80" />
          <el-table-column prop="name" :label="t('admin.name')" min-width="160" />
          <el-table-column :label="t('process.status')" width="100">
            <template #default="{ row }"><el-tag size="small" :type="row.status === 'suspended' ? 'info' : 'success'">{{ t('process.status.' + row.status) }}</el-tag></template>
          </el-table-column>
          <el-table-column :label="t('process.deployedAt')" width="180">
            <template #default="{ row }">{{ formatDateTime(row.deployed_at) }} {{ row.deployed_by }}</template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="100">
            <template #default="{ row }">
              <el-button v-if="row.status !== 'suspended'" link type="danger" @click="setStatus(row, 'suspended')">{{ t('process.suspend') }}</el-button>
              <el-button v-else link type="success" @click="setStatus(row, 'active')">{{ t('process.activate') }}</el-button>
            </template>
          </el-table-column>
        </el-table>
        <h4>{{ t('process.nodes') }}</h4>
        <el-table :data="nodes" v-loading="loading" size="small" :empty-text="t('common.none')" class="cb-process-nodes">
          <el-table-column :label="t('process.node')" min-width="150">
            <template #default="{ row }">{{ row.name || row.node_id }}<div class="cb-admin-desc">{{ row.node_id }}<span v-if="row.subprocess"> · {{ row.subprocess }}</span></div></template>
          </el-table-column>
          <el-table-column :label="t('process.bpmn')" min-width="140">
            <template #default="{ row }"><span class="cb-admin-desc">{{ bpmnCandidates(row.bpmn) }}</span></template>
          </el-table-column>
          <el-table-column :label="t('process.strategy')" min-width="140">
            <template #default="{ row }">{{ summary(row.settings && row.settings.candidate_strategy) }}</template>
          </el-table-column>
          <el-table-column :label="t('process.fallback')" min-width="120">
            <template #default="{ row }">{{ summary(row.settings && row.settings.fallback) }}</template>
          </el-table-column>
          <el-table-column :label="t('process.operations')" min-width="150">
            <template #default="{ row }">{{ row.settings && row.settings.allowed_operations ? row.settings.allowed_operations.map(c => names[c] || c).join('、') : t('process.allOperations') }}</template>
          </el-table-column>
          <el-table-column :label="t('process.timeLimit')" width="120">
            <template #default="{ row }">{{ (row.settings && row.settings.time_limit) ? (names[row.settings.time_limit] || row.settings.time_limit) : (row.bpmn.time_limit || t('process.asBpmn')) }}</template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="80" fixed="right">
            <template #default="{ row }"><el-button link type="primary" @click="openNode(row)">{{ t('admin.edit') }}</el-button></template>
          </el-table-column>
        </el-table>
      </div>

      <el-dialog v-model="dialog.open" :title="dialog.node ? t('process.editTitle', { name: dialog.node.name || dialog.node.node_id }) : ''"
                 width="620px" class="cb-node-dialog" :close-on-click-modal="false">
        <el-form v-if="dialog.form" label-width="100px" @submit.prevent>
          <el-form-item v-for="part in [['strategy', 'candidate_strategy', options.strategies], ['fallback', 'fallback', options.fallbacks]]"
                        :key="part[0]" :label="t('process.' + part[0])" :error="errors.fields[part[1]]">
            <el-select v-model="dialog.form[part[0]].kind" clearable :placeholder="t('process.asBpmn')" style="width: 200px">
              <el-option v-for="o in part[2]" :key="o.code" :label="o.name" :value="o.code" />
            </el-select>
            <template v-for="o in part[2]" :key="o.code">
              <el-input v-if="o.code === dialog.form[part[0]].kind && o.parameter" v-model="dialog.form[part[0]].value"
                        :placeholder="t('process.param.' + o.parameter)" style="width: 260px; margin-left: 8px" :name="part[1] + '_value'" />
            </template>
          </el-form-item>
          <el-form-item :label="t('process.operations')" :error="errors.fields.allowed_operations">
            <el-checkbox v-model="dialog.form.limitOperations">{{ t('process.limitOperations') }}</el-checkbox>
            <el-checkbox-group v-if="dialog.form.limitOperations" v-model="dialog.form.operations">
              <el-checkbox v-for="o in options.operations" :key="o.code" :value="o.code">{{ o.name }}</el-checkbox>
            </el-checkbox-group>
          </el-form-item>
          <el-form-item :label="t('process.timeLimit')" :error="errors.fields.time_limit">
            <el-select v-model="dialog.form.time_limit" clearable :placeholder="t('process.asBpmn')" style="width: 260px">
              <el-option v-for="o in options.time_limits" :key="o.code" :label="o.name + '（' + o.code + '）'" :value="o.code" />
            </el-select>
          </el-form-item>
        </el-form>
        <form-errors :errors="errors" />
        <template #footer>
          <el-button v-if="dialog.node && dialog.node.settings" type="danger" plain @click="removeNode" style="float: left">{{ t('process.removeSetting') }}</el-button>
          <el-button @click="dialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="dialog.saving" @click="saveNode">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>
    </admin-layout>`,
};

mountAdminPage('process', ProcessPage);
