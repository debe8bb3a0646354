// The modeler's properties panel: edits, for the selected diagram element, exactly the attributes the engine
// reads (processes/README.md "Conventions the engine reads"), through bpmn-js's modeling commands so every
// change is undoable and lands in the XML. bpmn-js-properties-panel needs a bundler, hence our own.
// The panel never keeps its own copy of the model: it re-reads the element whenever the diagram changes.
import { computed, reactive, ref, watch } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from './api.js';
import { addMessages, t } from './i18n.js';

addMessages({
  zh: {
    'mp.empty': '在图上选择一个元素以编辑其属性',
    'mp.id': '标识', 'mp.name': '名称', 'mp.type': '类型',
    'mp.assignment': '办理人', 'mp.candidateGroups': '候选组（角色 / 机构 / 表达式）',
    'mp.candidateUsers': '候选人', 'mp.assignee': '办理人（指定一人）',
    'mp.exprHint': '可直接输入表达式后回车，如 org:${department}',
    'mp.form': '表单', 'mp.timeLimit': '办理时限标准', 'mp.caseTimeLimit': '全案时限从此开始（标准）',
    'mp.dueDate': '到期时间表达式（dueDate）', 'mp.stage': '阶段',
    'mp.operations': '允许的操作', 'mp.sign': '会签', 'mp.signMode': '会签方式', 'mp.signRatio': '通过比例',
    'mp.signNeedsMulti': '会签需要多实例用户任务（在图上用扳手菜单设为并行/串行多实例）',
    'mp.sign.none': '不会签', 'mp.sign.all': '全部同意', 'mp.sign.any': '或签（一人即可）',
    'mp.sign.ratio': '按比例', 'mp.sign.sequential': '依次审批',
    'mp.returnTargets': '可退回到', 'mp.advanced': '高级', 'mp.set': '赋值（citybpm:set）',
    'mp.setHint': '变量 = 表达式；多个用分号隔开', 'mp.reportTo': '协办汇报给（reportTo）',
    'mp.proposal': '建议比对（proposal）', 'mp.document': '办结时出具文书（类型代码）',
    'mp.increment': '计数变量（每次经过加 1）', 'mp.outcome': '案件结果',
    'mp.condition': '条件表达式', 'mp.conditionHint': '变量上的表达式，如 check_result == "pass"（不写 ${}）',
    'mp.defaultFlow': '默认流（其他条件都不满足时走这条）',
    'mp.timer': '定时', 'mp.timerType': '定时类型', 'mp.timerExpr': '时间表达式',
    'mp.timer.timeDate': '指定时间', 'mp.timer.timeDuration': '持续时间', 'mp.timer.timeCycle': '循环',
    'mp.timerHint': '如 "PT2H"（带引号）、add_work_hours(start, 2)、"2026-03-01T09:00:00+08:00"',
    'mp.laneRole': '泳道角色', 'mp.fieldPerms': '字段权限', 'mp.fieldPermsHint': '保存后立即对该环节生效，不随部署',
    'mp.fieldPermsNeedsDeploy': '先部署流程，再设置字段权限',
    'mp.field': '字段', 'mp.perm': '权限', 'mp.perm.editable': '可编辑', 'mp.perm.readonly': '只读',
    'mp.perm.hidden': '隐藏', 'mp.save': '保存', 'mp.saved': '字段权限已保存', 'mp.noFields': '该表单没有字段',
    'mp.role': '角色', 'mp.org': '机构', 'mp.readonly': '只读版本：属性不可修改',
    'stage.collect': '信息采集', 'stage.file': '立案', 'stage.dispatch': '派遣', 'stage.handle': '处置',
    'stage.feedback': '反馈', 'stage.close': '核查结案', 'stage.evaluate': '评价',
  },
  en: {
    'mp.empty': 'Select an element on the diagram to edit its properties',
    'mp.id': 'ID', 'mp.name': 'Name', 'mp.type': 'Type',
    'mp.assignment': 'Assignment', 'mp.candidateGroups': 'Candidate groups (roles / orgs / expressions)',
    'mp.candidateUsers': 'Candidate users', 'mp.assignee': 'Assignee (one person)',
    'mp.exprHint': 'Type an expression and press Enter, e.g. org:${department}',
    'mp.form': 'Form', 'mp.timeLimit': 'Time-limit standard', 'mp.caseTimeLimit': 'Case deadline starts here (standard)',
    'mp.dueDate': 'Due date expression (dueDate)', 'mp.stage': 'Stage',
    'mp.operations': 'Allowed operations', 'mp.sign': 'Countersign', 'mp.signMode': 'Sign mode', 'mp.signRatio': 'Ratio',
    'mp.signNeedsMulti': 'Countersigning needs a multi-instance user task (wrench menu on the diagram)',
    'mp.sign.none': 'None', 'mp.sign.all': 'All agree', 'mp.sign.any': 'Any one',
    'mp.sign.ratio': 'By ratio', 'mp.sign.sequential': 'One after another',
    'mp.returnTargets': 'May return to', 'mp.advanced': 'Advanced', 'mp.set': 'Assignments (citybpm:set)',
    'mp.setHint': 'var = expression; separate with semicolons', 'mp.reportTo': 'Reports to (reportTo)',
    'mp.proposal': 'Proposal check (proposal)', 'mp.document': 'Issues document (type code)',
    'mp.increment': 'Counter variable (+1 each pass)', 'mp.outcome': 'Case outcome',
    'mp.condition': 'Condition', 'mp.conditionHint': 'An expression over variables, e.g. check_result == "pass" (no ${})',
    'mp.defaultFlow': 'Default flow (taken when no condition holds)',
    'mp.timer': 'Timer', 'mp.timerType': 'Timer type', 'mp.timerExpr': 'Expression',
    'mp.timer.timeDate': 'Date', 'mp.timer.timeDuration': 'Duration', 'mp.timer.timeCycle': 'Cycle',
    'mp.timerHint': 'e.g. "PT2H" (quoted), add_work_hours(start, 2), "2026-03-01T09:00:00+08:00"',
    'mp.laneRole': 'Lane role', 'mp.fieldPerms': 'Field permissions', 'mp.fieldPermsHint': 'Saved settings apply to this node at once, not with a deploy',
    'mp.fieldPermsNeedsDeploy': 'Deploy the process first, then set field permissions',
    'mp.field': 'Field', 'mp.perm': 'Permission', 'mp.perm.editable': 'Editable', 'mp.perm.readonly': 'Read-only',
    'mp.perm.hidden': 'Hidden', 'mp.save': 'Save', 'mp.saved': 'Field permissions saved', 'mp.noFields': 'The form has no fields',
    'mp.role': 'Role', 'mp.org': 'Org', 'mp.readonly': 'Read-only version: properties cannot be changed',
    'stage.collect': 'Collection', 'stage.file': 'Filing', 'stage.dispatch': 'Dispatch', 'stage.handle': 'Handling',
    'stage.feedback': 'Feedback', 'stage.close': 'Check and close', 'stage.evaluate': 'Evaluation',
  },
});

export const STAGES = ['collect', 'file', 'dispatch', 'handle', 'feedback', 'close', 'evaluate'];
const SIGN_MODES = ['all', 'any', 'ratio', 'sequential'];   // engine/lint.py SIGN_MODES
const TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];
const OUTCOMES = ['closed', 'not_verified', 'not_accepted', 'voided', 'duplicate', 'not_filed'];
const PERMISSIONS = ['editable', 'readonly', 'hidden'];
const DECIDING_GATEWAYS = ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'];

// Like engine/dialects/_common.py split_list: commas inside ${…} belong to the expression.
export function splitList(value) {
  const items = [];
  let depth = 0;
  let current = '';
  for (const char of value || '') {
    if (char === '{' && current.endsWith('$')) depth += 1;
    else if (char === '}' && depth) depth -= 1;
    if (char === ',' && !depth) { items.push(current.trim()); current = ''; } else current += char;
  }
  items.push(current.trim());
  return items.filter(Boolean);
}

// What the panel changes, as bpmn-js commands (undo/redo, dirty state and XML export all follow).
export function bpmnEditor(modeler) {
  const modeling = () => modeler.get('modeling');
  const moddle = () => modeler.get('moddle');
  const expression = (text) => moddle().create('bpmn:FormalExpression', { body: text });
  return {
    // '' removes the attribute rather than writing attr="".
    attrs(element, values) {
      const props = {};
      for (const [name, value] of Object.entries(values)) props[name] = value === '' || value == null ? undefined : value;
      modeling().updateProperties(element, props);
    },
    condition(flow, text) {
      modeling().updateProperties(flow, { conditionExpression: text.trim() ? expression(text.trim()) : undefined });
    },
    // A default flow carries no condition, as in Camunda Modeler: the gateway takes it when nothing else holds.
    setDefault(flow, on) {
      if (on && flow.businessObject.conditionExpression) modeling().updateProperties(flow, { conditionExpression: undefined });
      modeling().updateProperties(flow.source, { default: on ? flow.businessObject : undefined });
    },
    timer(event, kind, text) {
      const definition = event.businessObject.eventDefinitions[0];
      const values = Object.fromEntries(TIMER_KINDS.map((k) => [k, undefined]));
      values[kind] = expression(text.trim());
      modeler.get('modeling').updateModdleProperties(event, definition, values);
    },
  };
}

function readState(element) {
  const bo = element.businessObject;
  const get = (name) => bo.get(name) || '';
  const is = (type) => bo.$instanceOf(type);
  const timer = (bo.eventDefinitions || []).find((d) => d.$instanceOf('bpmn:TimerEventDefinition'));
  const timerKind = timer && TIMER_KINDS.find((k) => timer.get(k)) || 'timeDuration';
  const source = element.source?.businessObject;
  const loop = bo.loopCharacteristics;
  return {
    id: bo.id,
    type: bo.$type,
    name: bo.name || '',
    isUserTask: is('bpmn:UserTask'),
    isFlowNode: is('bpmn:FlowNode'),
    isTask: is('bpmn:Activity'),
    isStart: is('bpmn:StartEvent'),
    isEnd: is('bpmn:EndEvent'),
    isLane: is('bpmn:Lane'),
    isMulti: !!loop && loop.$instanceOf('bpmn:MultiInstanceLoopCharacteristics'),
    // only the ways out of a deciding gateway need a condition (engine/lint.py _gateway_conditions)
    isDecision: is('bpmn:SequenceFlow') && !!source && DECIDING_GATEWAYS.some((type) => source.$instanceOf(type)),
    isTimer: !!timer,
    candidateGroups: splitList(get('camunda:candidateGroups')),
    candidateUsers: splitList(get('camunda:candidateUsers')),
    assignee: get('camunda:assignee'),
    formKey: get('camunda:formKey'),
    dueDate: get('camunda:dueDate'),
    stage: get('citybpm:stage'),
    timeLimit: get('citybpm:timeLimit'),
    caseTimeLimit: get('citybpm:caseTimeLimit'),
    operations: splitList(get('citybpm:operations')),
    signMode: get('citybpm:signMode'),
    signRatio: get('citybpm:signRatio'),
    returnTargets: splitList(get('citybpm:returnTargets')),
    set: get('citybpm:set'),
    reportTo: get('citybpm:reportTo'),
    proposal: get('citybpm:proposal'),
    document: get('citybpm:document'),
    increment: get('citybpm:increment'),
    outcome: get('citybpm:outcome'),
    role: get('citybpm:role'),
    condition: bo.conditionExpression?.body || '',
    isDefault: !!source && source.default === bo,
    timerKind,
    timerExpr: timer?.get(timerKind)?.body || '',
  };
}

// Form fields with a key, depth first (groups and dynamic lists nest their components).
function formFields(components, out = []) {
  for (const component of components || []) {
    if (component.key) out.push({ key: component.key, label: component.label || component.key });
    formFields(component.components, out);
  }
  return out;
}

const FieldPermissions = {
  name: 'FieldPermissions',
  props: { processKey: String, nodeId: String, formKey: String, readonly: Boolean },
  setup(props) {
    const rows = ref([]);
    const loading = ref(false);
    async function load() {
      rows.value = [];
      if (!props.processKey || !props.formKey) return;
      loading.value = true;
      try {
        const [form, current] = await Promise.all([
          api.get(`/forms/${encodeURIComponent(props.formKey)}`),
          api.get(`/processes/${encodeURIComponent(props.processKey)}/nodes/${encodeURIComponent(props.nodeId)}/field-permissions`),
        ]);
        const schema = (form.published || form.draft || {}).schema || {};
        rows.value = formFields(schema.components).map((f) => ({ ...f, permission: current.permissions[f.key] || 'editable' }));
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }
    async function save() {
      const permissions = Object.fromEntries(rows.value.map((r) => [r.key, r.permission]));
      await api.put(`/processes/${encodeURIComponent(props.processKey)}/nodes/${encodeURIComponent(props.nodeId)}/field-permissions`,
        { permissions });
      ElMessage.success(t('mp.saved'));
    }
    watch(() => [props.processKey, props.nodeId, props.formKey], load, { immediate: true });
    return { rows, loading, save, PERMISSIONS, t };
  },
  template: `
    <div class="cb-mp-perms" v-loading="loading">
      <div class="cb-muted cb-mp-hint">{{ t('mp.fieldPermsHint') }}</div>
      <el-table v-if="rows.length" :data="rows" size="small" max-height="260">
        <el-table-column :label="t('mp.field')" min-width="110">
          <template #default="{ row }"><span :title="row.key">{{ row.label }}</span></template>
        </el-table-column>
        <el-table-column :label="t('mp.perm')" width="112">
          <template #default="{ row }">
            <el-select v-model="row.permission" size="small" :disabled="readonly" :data-field="row.key">
              <el-option v-for="p in PERMISSIONS" :key="p" :value="p" :label="t('mp.perm.' + p)" />
            </el-select>
          </template>
        </el-table-column>
      </el-table>
      <div v-else-if="!loading" class="cb-muted">{{ t('mp.noFields') }}</div>
      <el-button v-if="rows.length && !readonly" size="small" type="primary" plain @click="save">{{ t('mp.save') }}</el-button>
    </div>`,
};

export const ModelerPanel = {
  name: 'ModelerPanel',
  components: { FieldPermissions },
  // element: the selected diagram element (markRaw); revision: bumped on every diagram change;
  // editor: bpmnEditor(modeler); options: {roles, orgs, users, forms, timeLimits, operations}; userTaskIds.
  props: {
    element: Object, revision: Number, editor: Object, readonly: Boolean, options: Object,
    processKey: String, deployed: Boolean, userTaskIds: Array,
  },
  setup(props) {
    const state = reactive({});
    const reload = () => {
      for (const key of Object.keys(state)) delete state[key];
      if (props.element) Object.assign(state, readState(props.element));
    };
    watch(() => [props.element, props.revision], reload, { immediate: true });

    const set = (attrs) => { if (!props.readonly) props.editor.attrs(props.element, attrs); };
    const setList = (name, values) => set({ [name]: values.map((v) => String(v).trim()).filter(Boolean).join(',') });

    const groupOptions = computed(() => [
      { label: t('mp.role'), options: (props.options.roles || []).map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` })) },
      { label: t('mp.org'), options: (props.options.orgs || []).map((o) => ({ value: `org:${o.code}`, label: `${o.name}（org:${o.code}）` })) },
    ]);
    const userOptions = computed(() => (props.options.users || []).map((u) => ({ value: u.username, label: `${u.display_name || u.username}（${u.username}）` })));
    const formOptions = computed(() => {
      const published = (props.options.forms || []).filter((f) => f.published_version);
      const list = published.map((f) => ({ value: f.key, label: f.name ? `${f.name}（${f.key}）` : f.key }));
      if (state.formKey && !list.some((f) => f.value === state.formKey)) list.unshift({ value: state.formKey, label: state.formKey });
      return list;
    });
    const roleOptions = computed(() => (props.options.roles || []).map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` })));
    const typeName = computed(() => (state.type || '').replace('bpmn:', ''));

    return {
      state, set, setList, groupOptions, userOptions, formOptions, roleOptions, typeName,
      STAGES, SIGN_MODES, TIMER_KINDS, OUTCOMES, t,
      condition: (text) => props.editor.condition(props.element, text),
      setDefault: (on) => props.editor.setDefault(props.element, on),
      timer: () => props.editor.timer(props.element, state.timerKind, state.timerExpr),
    };
  },
  template: `
    <div class="cb-mp">
      <div v-if="!element" class="cb-muted cb-mp-empty">{{ t('mp.empty') }}</div>
      <el-form v-else label-position="top" size="small" :disabled="readonly" class="cb-mp-form" @submit.prevent>
        <el-alert v-if="readonly" type="info" :closable="false" :title="t('mp.readonly')" />
        <div class="cb-mp-head"><b>{{ typeName }}</b> <span class="cb-muted">{{ state.id }}</span></div>
        <el-form-item :label="t('mp.name')">
          <el-input v-model="state.name" name="name" @change="set({ name: state.name })" />
        </el-form-item>

        <template v-if="state.isUserTask">
          <div class="cb-mp-section">{{ t('mp.assignment') }}</div>
          <el-form-item :label="t('mp.candidateGroups')">
            <el-select v-model="state.candidateGroups" multiple filterable allow-create default-first-option
                       class="cb-mp-candidate-groups" :placeholder="t('mp.exprHint')" @change="setList('camunda:candidateGroups', $event)">
              <el-option-group v-for="g in groupOptions" :key="g.label" :label="g.label">
                <el-option v-for="o in g.options" :key="o.value" :value="o.value" :label="o.label" />
              </el-option-group>
            </el-select>
          </el-form-item>
          <el-form-item :label="t('mp.candidateUsers')">
            <el-select v-model="state.candidateUsers" multiple filterable allow-create default-first-option
                       @change="setList('camunda:candidateUsers', $event)">
              <el-option v-for="o in userOptions" :key="o.value" :value="o.value" :label="o.label" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('mp.assignee')">
            <el-select v-model="state.assignee" filterable allow-create clearable default-first-option
                       @change="set({ 'camunda:assignee': $event })">
              <el-option v-for="o in userOptions" :key="o.value" :value="o.value" :label="o.label" />
            </el-select>
          </el-form-item>
        </template>

        <el-form-item v-if="state.isUserTask || state.isStart" :label="t('mp.form')">
          <el-select v-model="state.formKey" filterable clearable class="cb-mp-form-key" @change="set({ 'camunda:formKey': $event })">
            <el-option v-for="o in formOptions" :key="o.value" :value="o.value" :label="o.label" />
          </el-select>
        </el-form-item>

        <template v-if="state.isUserTask">
          <el-form-item :label="t('mp.timeLimit')">
            <el-select v-model="state.timeLimit" filterable clearable class="cb-mp-time-limit" @change="set({ 'citybpm:timeLimit': $event })">
              <el-option v-for="o in options.timeLimits" :key="o.code" :value="o.code" :label="o.name + '（' + o.code + '）'" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('mp.dueDate')">
            <el-input v-model="state.dueDate" @change="set({ 'camunda:dueDate': state.dueDate })" />
          </el-form-item>
        </template>
        <el-form-item v-if="state.isTask" :label="t('mp.caseTimeLimit')">
          <el-select v-model="state.caseTimeLimit" filterable clearable @change="set({ 'citybpm:caseTimeLimit': $event })">
            <el-option v-for="o in options.timeLimits" :key="o.code" :value="o.code" :label="o.name + '（' + o.code + '）'" />
          </el-select>
        </el-form-item>
        <el-form-item v-if="state.isFlowNode" :label="t('mp.stage')">
          <el-select v-model="state.stage" clearable allow-create filterable class="cb-mp-stage" @change="set({ 'citybpm:stage': $event })">
            <el-option v-for="s in STAGES" :key="s" :value="s" :label="t('stage.' + s) + '（' + s + '）'" />
          </el-select>
        </el-form-item>

        <template v-if="state.isUserTask">
          <el-form-item :label="t('mp.operations')">
            <el-checkbox-group v-model="state.operations" class="cb-mp-operations" @change="setList('citybpm:operations', $event)">
              <el-checkbox v-for="o in options.operations" :key="o.code" :value="o.code" :label="o.code">{{ o.name }}</el-checkbox>
            </el-checkbox-group>
          </el-form-item>
          <el-form-item :label="t('mp.returnTargets')">
            <el-select v-model="state.returnTargets" multiple filterable @change="setList('citybpm:returnTargets', $event)">
              <el-option v-for="id in userTaskIds" :key="id" :value="id" :label="id" />
            </el-select>
          </el-form-item>
          <div class="cb-mp-section">{{ t('mp.sign') }}</div>
          <div v-if="!state.isMulti" class="cb-muted cb-mp-hint">{{ t('mp.signNeedsMulti') }}</div>
          <template v-else>
            <el-form-item :label="t('mp.signMode')">
              <el-select v-model="state.signMode" clearable :placeholder="t('mp.sign.none')"
                         @change="set({ 'citybpm:signMode': $event, 'citybpm:signRatio': $event === 'ratio' ? state.signRatio : '' })">
                <el-option v-for="m in SIGN_MODES" :key="m" :value="m" :label="t('mp.sign.' + m)" />
              </el-select>
            </el-form-item>
            <el-form-item v-if="state.signMode === 'ratio'" :label="t('mp.signRatio')">
              <el-input v-model="state.signRatio" placeholder="0.6" @change="set({ 'citybpm:signRatio': state.signRatio })" />
            </el-form-item>
          </template>
          <div class="cb-mp-section">{{ t('mp.fieldPerms') }}</div>
          <field-permissions v-if="deployed && state.formKey" :process-key="processKey" :node-id="state.id"
                             :form-key="state.formKey" :readonly="readonly" />
          <div v-else-if="state.formKey" class="cb-muted cb-mp-hint">{{ t('mp.fieldPermsNeedsDeploy') }}</div>
        </template>

        <el-form-item v-if="state.isEnd" :label="t('mp.outcome')">
          <el-select v-model="state.outcome" clearable allow-create filterable @change="set({ 'citybpm:outcome': $event })">
            <el-option v-for="o in OUTCOMES" :key="o" :value="o" :label="o" />
          </el-select>
        </el-form-item>

        <template v-if="state.isDecision">
          <el-form-item :label="t('mp.condition')">
            <el-input v-model="state.condition" type="textarea" :rows="2" name="condition" :disabled="readonly || state.isDefault"
                      :placeholder="t('mp.conditionHint')" @change="condition(state.condition)" />
          </el-form-item>
          <el-checkbox v-model="state.isDefault" class="cb-mp-default" @change="setDefault($event)">{{ t('mp.defaultFlow') }}</el-checkbox>
        </template>

        <template v-if="state.isTimer">
          <div class="cb-mp-section">{{ t('mp.timer') }}</div>
          <el-form-item :label="t('mp.timerType')">
            <el-radio-group v-model="state.timerKind" @change="state.timerExpr && timer()">
              <el-radio v-for="k in TIMER_KINDS" :key="k" :value="k">{{ t('mp.timer.' + k) }}</el-radio>
            </el-radio-group>
          </el-form-item>
          <el-form-item :label="t('mp.timerExpr')">
            <el-input v-model="state.timerExpr" name="timer" :placeholder="t('mp.timerHint')" @change="timer()" />
          </el-form-item>
        </template>

        <el-form-item v-if="state.isLane" :label="t('mp.laneRole')">
          <el-select v-model="state.role" filterable allow-create clearable @change="set({ 'citybpm:role': $event })">
            <el-option v-for="o in roleOptions" :key="o.value" :value="o.value" :label="o.label" />
          </el-select>
        </el-form-item>

        <el-collapse v-if="state.isFlowNode" class="cb-mp-advanced">
          <el-collapse-item :title="t('mp.advanced')" name="advanced">
            <el-form-item :label="t('mp.set')">
              <el-input v-model="state.set" type="textarea" :rows="2" :placeholder="t('mp.setHint')" @change="set({ 'citybpm:set': state.set })" />
            </el-form-item>
            <el-form-item v-if="state.isTask" :label="t('mp.increment')">
              <el-input v-model="state.increment" @change="set({ 'citybpm:increment': state.increment })" />
            </el-form-item>
            <template v-if="state.isUserTask">
              <el-form-item :label="t('mp.reportTo')">
                <el-select v-model="state.reportTo" clearable filterable @change="set({ 'citybpm:reportTo': $event })">
                  <el-option v-for="id in userTaskIds" :key="id" :value="id" :label="id" />
                </el-select>
              </el-form-item>
              <el-form-item :label="t('mp.proposal')">
                <el-input v-model="state.proposal" placeholder="department=proposed_department" @change="set({ 'citybpm:proposal': state.proposal })" />
              </el-form-item>
            </template>
            <el-form-item v-if="state.isTask" :label="t('mp.document')">
              <el-input v-model="state.document" @change="set({ 'citybpm:document': state.document })" />
            </el-form-item>
          </el-collapse-item>
        </el-collapse>
      </el-form>
    </div>`,
};
