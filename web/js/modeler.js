// 流程设计: the process list, the bpmn-js modeler with our properties panel (modeler-panel.js), deploy with the
// engine's lint problems drawn on the diagram, the version list and any version opened read-only.
// The page loads bpmn-js's UMD bundles: the navigated viewer (kept as window.BpmnViewer) and the modeler
// (window.BpmnJS). The server is the judge: 校验 asks POST /definitions/validate (every deploy check, nothing
// stored); 部署 checks again.
import { computed, createApp, markRaw, onBeforeUnmount, onMounted, reactive, ref, shallowRef } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { api, ApiError, request, requireLogin } from './api.js';
import { addMessages, formatDateTime, installI18n, t } from './i18n.js';
import { AppShell } from './shell.js';
import { blankDiagram, moddleExtensions } from './modeler-moddle.js';
import { ModelerPanel, bpmnEditor } from './modeler-panel.js';

addMessages({
  zh: {
    'modeler.title': '流程设计', 'modeler.processes': '流程列表', 'modeler.new': '新建流程',
    'modeler.key': '流程标识', 'modeler.name': '流程名称', 'modeler.keyHint': '字母开头，可含数字、下划线、点、横线',
    'modeler.keyInvalid': '流程标识格式不正确', 'modeler.keyExists': '该流程标识已存在',
    'modeler.version': '第 {version} 版', 'modeler.notDeployed': '未部署', 'modeler.readonly': '只读',
    'modeler.validate': '校验', 'modeler.valid': '校验通过，可以部署',
    'modeler.dirty': '有未部署的修改', 'modeler.deploy': '校验并部署', 'modeler.versions': '版本',
    'modeler.download': '下载 XML', 'modeler.fit': '适应画布', 'modeler.backToEdit': '返回编辑最新版',
    'modeler.find': '定位元素', 'modeler.deployed': '已部署第 {version} 版', 'modeler.unchanged': '内容未变化，仍为第 {version} 版',
    'modeler.rejected': '部署未通过校验：{count} 个问题，已在图上标出',
    'modeler.problems': '校验问题（{count}）', 'modeler.problem.element': '元素', 'modeler.problem.message': '问题',
    'modeler.problem.file': '文件', 'modeler.close': '关闭',
    'modeler.discard': '当前流程有未部署的修改，确定放弃吗？', 'modeler.confirm': '提示',
    'modeler.bundle': '与 {files} 一起部署', 'modeler.empty': '从左侧选择一个流程，或新建流程',
    'modeler.col.version': '版本', 'modeler.col.status': '状态', 'modeler.col.deployedAt': '部署时间',
    'modeler.col.deployedBy': '部署人', 'modeler.open': '只读查看', 'modeler.status.active': '启用',
    'modeler.status.suspended': '停用', 'modeler.importWarnings': '图中有 {count} 处无法识别的内容',
  },
  en: {
    'modeler.title': 'Process design', 'modeler.processes': 'Processes', 'modeler.new': 'New process',
    'modeler.key': 'Process key', 'modeler.name': 'Process name', 'modeler.keyHint': 'Starts with a letter; letters, digits, _ . -',
    'modeler.keyInvalid': 'Invalid process key', 'modeler.keyExists': 'This process key exists already',
    'modeler.version': 'Version {version}', 'modeler.notDeployed': 'Not deployed', 'modeler.readonly': 'Read-only',
    'modeler.validate': 'Validate', 'modeler.valid': 'Valid: ready to deploy',
    'modeler.dirty': 'Undeployed changes', 'modeler.deploy': 'Validate and deploy', 'modeler.versions': 'Versions',
    'modeler.download': 'Download XML', 'modeler.fit': 'Fit', 'modeler.backToEdit': 'Edit the latest version',
    'modeler.find': 'Find element', 'modeler.deployed': 'Deployed version {version}', 'modeler.unchanged': 'Unchanged: still version {version}',
    'modeler.rejected': 'Deployment refused: {count} problem(s), marked on the diagram',
    'modeler.problems': 'Problems ({count})', 'modeler.problem.element': 'Element', 'modeler.problem.message': 'Problem',
    'modeler.problem.file': 'File', 'modeler.close': 'Close',
    'modeler.discard': 'Discard the undeployed changes of this process?', 'modeler.confirm': 'Confirm',
    'modeler.bundle': 'Deployed together with {files}', 'modeler.empty': 'Choose a process on the left, or create one',
    'modeler.col.version': 'Version', 'modeler.col.status': 'Status', 'modeler.col.deployedAt': 'Deployed at',
    'modeler.col.deployedBy': 'By', 'modeler.open': 'View read-only', 'modeler.status.active': 'Active',
    'modeler.status.suspended': 'Suspended', 'modeler.importWarnings': '{count} unrecognised item(s) in the diagram',
  },
});

const BPMN_URI = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;
const PAGE_SIZE = 100;
const defPath = (key, rest = '') => `/definitions/${encodeURIComponent(key)}${rest}`;

// Every definition row is a version; the list shows each key once, at its newest version.
async function latestPerKey() {
  const latest = new Map();
  for (let page = 1; page <= 20; page += 1) {
    const { items, total } = await api.page('/definitions', { page, page_size: PAGE_SIZE });
    for (const row of items) if (!latest.has(row.key)) latest.set(row.key, row);
    if (page * PAGE_SIZE >= total) break;
  }
  return [...latest.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function definesProcess(xml, processId) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  return [...doc.getElementsByTagNameNS(BPMN_URI, 'process')].some((p) => p.getAttribute('id') === processId);
}

// A version's files: the one defining the main process goes into the modeler, the rest (called processes,
// DMN tables) are sent along on deploy, since call activities and business rule tasks must resolve.
async function loadVersion(key, version) {
  const definition = await api.get(defPath(key, `/versions/${version}`));
  const files = await Promise.all(definition.files.map(async (f) => ({
    filename: f.filename, kind: f.kind,
    content: await api.get(defPath(key, `/versions/${version}/xml`), { file: f.filename }),
  })));
  const main = files.find((f) => f.kind === 'bpmn' && definesProcess(f.content, definition.process_id))
    || files.find((f) => f.kind === 'bpmn');
  return { definition, main, others: files.filter((f) => f !== main) };
}

// One message at a time: a refused deploy's error must not linger next to the next deploy's success.
function notify(type, message) {
  ElMessage.closeAll();
  ElMessage({ type, message });
}

function download(filename, text) {
  const link = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(new Blob([text], { type: 'application/xml' })), download: filename,
  });
  link.click();
  URL.revokeObjectURL(link.href);
}

const escapeHtml = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

const ModelerPage = {
  components: { AppShell, ModelerPanel },
  setup() {
    const canvasEl = ref(null);
    const processes = ref([]);
    const options = reactive({ roles: [], orgs: [], users: [], forms: [], timeLimits: [], operations: [] });
    // key, name, version (null: never deployed), mainFile, others, readonly
    const current = reactive({ key: null, name: '', version: null, latest: null, mainFile: null, others: [], readonly: false });
    const selected = ref(null);
    const revision = ref(0);
    const dirty = ref(false);
    const problems = ref([]);
    const problemsOpen = ref(false);
    const deploying = ref(false);
    const versionsDrawer = reactive({ visible: false, rows: [] });
    const newDialog = reactive({ visible: false, key: '', name: '', error: '' });
    const find = reactive({ value: '', items: [] });
    const userTaskIds = ref([]);
    let bpmn = null;     // the bpmn-js instance: never reactive (Vue proxies break its object identity)
    const editor = shallowRef(null);   // bpmnEditor(bpmn): what the panel changes through

    const bundleFiles = computed(() => current.others.map((f) => f.filename).join('、'));

    function createInstance(readonly) {
      if (bpmn) bpmn.destroy();
      const Kind = readonly ? window.BpmnViewer : window.BpmnJS;
      bpmn = new Kind({ container: canvasEl.value, moddleExtensions, ...(readonly ? {} : { keyboard: { bindTo: document } }) });
      editor.value = markRaw(readonly ? {} : bpmnEditor(bpmn));
      selected.value = null;
      bpmn.on('selection.changed', ({ newSelection }) => {
        selected.value = newSelection.length === 1 ? markRaw(newSelection[0]) : null;
      });
      bpmn.on('elements.changed', ({ elements }) => {
        if (selected.value && elements.some((e) => e.id === selected.value.id && !bpmn.get('elementRegistry').get(e.id))) {
          selected.value = null;
        }
        revision.value += 1;
        collectUserTasks();
      });
      if (!readonly) bpmn.on('commandStack.changed', () => { dirty.value = true; });
    }

    function collectUserTasks() {
      userTaskIds.value = bpmn.get('elementRegistry').filter((e) => e.type === 'bpmn:UserTask').map((e) => e.id);
    }

    async function show(xml, readonly) {
      createInstance(readonly);
      const { warnings } = await bpmn.importXML(xml);
      // unknown attributes (e.g. citybpm:set, kept undeclared on purpose) are kept on save: not worth a warning
      const real = warnings.filter((w) => !/^unknown attribute/.test(w.message || ''));
      if (real.length) notify('warning', t('modeler.importWarnings', { count: real.length }));
      fitDiagram();
      dirty.value = false;
      problems.value = [];
      problemsOpen.value = false;
      collectUserTasks();
      revision.value += 1;
    }

    // fit-viewport, but beside the palette: it floats over the canvas's left edge and would hide shapes there
    function fitDiagram() {
      if (!bpmn) return;
      const canvas = bpmn.get('canvas');
      const { inner, outer } = canvas.viewbox();
      if (!inner.width || !inner.height) return;
      const left = current.readonly ? 12 : 120;
      const margin = 12;
      const zoom = Math.min((outer.width - left - margin) / inner.width, (outer.height - 2 * margin) / inner.height, 1);
      canvas.viewbox({ x: inner.x - left / zoom, y: inner.y - margin / zoom, width: outer.width / zoom, height: outer.height / zoom });
    }

    async function confirmDiscard() {
      if (!dirty.value || current.readonly) return true;
      try {
        await ElMessageBox.confirm(t('modeler.discard'), t('modeler.confirm'), { type: 'warning' });
        return true;
      } catch { return false; }
    }

    async function openVersion(key, version, readonly) {
      const { definition, main, others } = await loadVersion(key, version);
      Object.assign(current, {
        key, name: definition.name || key, version: definition.version, mainFile: main.filename,
        others: others.map(({ filename, content }) => ({ filename, content })), readonly,
      });
      if (!readonly) current.latest = definition.version;
      await show(main.content, readonly);
      const url = new URL(location.href);
      url.searchParams.set('key', key);
      if (readonly) url.searchParams.set('version', version); else url.searchParams.delete('version');
      history.replaceState(null, '', url);
    }

    async function openProcess(row) {
      if (!(await confirmDiscard())) return;
      const latest = await api.get(defPath(row.key));
      await openVersion(row.key, latest.version, false);
    }

    async function loadProcesses() {
      processes.value = await latestPerKey();
    }

    async function loadOptions() {
      const quiet = (promise, fallback) => promise.catch(() => fallback);   // a list the user may not read
      const [roles, orgs, users, forms, config] = await Promise.all([
        quiet(api.get('/roles'), []),
        quiet(api.page('/orgs', { page_size: PAGE_SIZE, active: true }).then((p) => p.items), []),
        quiet(api.page('/users', { page_size: PAGE_SIZE, active: true }).then((p) => p.items), []),
        quiet(api.page('/forms', { page_size: PAGE_SIZE }).then((p) => p.items), []),
        quiet(api.get('/processes/config-options'), { operations: [], time_limits: [] }),
      ]);
      Object.assign(options, { roles, orgs, users, forms, timeLimits: config.time_limits, operations: config.operations });
    }

    // --- problems on the diagram ----------------------------------------------------------------------
    function clearProblemMarks() {
      if (!bpmn) return;
      bpmn.get('overlays').remove({ type: 'cb-lint' });
      const registry = bpmn.get('elementRegistry');
      for (const p of problems.value) if (p.element_id && registry.get(p.element_id)) bpmn.get('canvas').removeMarker(p.element_id, 'cb-lint-error');
    }

    function showProblems(list) {
      clearProblemMarks();
      const registry = bpmn.get('elementRegistry');
      const mainName = current.mainFile;
      problems.value = list.map((p, index) => ({
        ...p, index,
        // only problems of the file on the canvas can be drawn; others (called processes, DMN) stay in the list
        onDiagram: !!p.element_id && (!p.file || p.file === mainName) && !!registry.get(p.element_id),
      }));
      for (const p of problems.value.filter((x) => x.onDiagram)) {
        bpmn.get('canvas').addMarker(p.element_id, 'cb-lint-error');
        bpmn.get('overlays').add(p.element_id, 'cb-lint', {
          position: { top: -26, left: 0 },
          html: `<div class="cb-lint-overlay" data-element-id="${escapeHtml(p.element_id)}" title="${escapeHtml(p.message)}">`
            + `<span class="cb-lint-icon">!</span><span class="cb-lint-text">${escapeHtml(p.message)}</span></div>`,
        });
      }
      problemsOpen.value = problems.value.length > 0;
    }

    function selectElement(id) {
      const element = id && bpmn.get('elementRegistry').get(id);
      if (!element) return;
      const canvas = bpmn.get('canvas');
      bpmn.get('selection').select(element);
      // centred at a readable zoom: a whole city process fitted to the screen is too small to read
      const points = element.waypoints || [{ x: element.x, y: element.y }, { x: element.x + element.width, y: element.y + element.height }];
      const xs = points.map((p) => p.x);
      const ys = points.map((p) => p.y);
      const zoom = Math.max(canvas.zoom(), 0.8);
      const { outer } = canvas.viewbox();
      const [width, height] = [outer.width / zoom, outer.height / zoom];
      // a flow can run across the whole diagram: show its top-left corner, where its problem badge sits
      const [cx, cy] = element.waypoints ? [Math.min(...xs), Math.min(...ys)]
        : [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
      canvas.viewbox({ x: cx - width / 2, y: cy - height / 2, width, height });
    }

    // --- validate and deploy -----------------------------------------------------------------------
    // the diagram and the other files of the bundle (called processes, DMN tables), as the server wants them
    async function bundle() {
      const { xml } = await bpmn.saveXML({ format: true });
      const form = new FormData();
      form.append('files', new Blob([xml], { type: 'application/xml' }), current.mainFile);
      for (const f of current.others) form.append('files', new Blob([f.content], { type: 'application/xml' }), f.filename);
      return form;
    }

    function refused(error) {
      if (error instanceof ApiError && error.status === 422 && error.errors.length) {
        showProblems(error.errors);
        notify('error', t('modeler.rejected', { count: error.errors.length }));
      } else {
        notify('error', error.message);
      }
    }

    async function validate() {
      deploying.value = true;
      try {
        await request('POST', '/definitions/validate', { body: await bundle(), query: { key: current.key } });
        clearProblemMarks();
        problems.value = [];
        problemsOpen.value = false;
        notify('success', t('modeler.valid'));
      } catch (error) {
        refused(error);
      } finally {
        deploying.value = false;
      }
    }

    async function deploy() {
      deploying.value = true;
      try {
        const { data, status } = await request('POST', '/definitions', { body: await bundle(),
                                                                          query: { key: current.key } });
        clearProblemMarks();
        problems.value = [];
        problemsOpen.value = false;
        dirty.value = false;
        current.version = data.version;
        current.latest = data.version;
        notify('success', t(status === 201 ? 'modeler.deployed' : 'modeler.unchanged', { version: data.version }));
        await loadProcesses();
        if (versionsDrawer.visible) await loadVersions();
      } catch (error) {
        refused(error);
      } finally {
        deploying.value = false;
      }
    }

    async function downloadXml() {
      const { xml } = await bpmn.saveXML({ format: true });
      download(current.mainFile || `${current.key}.bpmn`, xml);
    }

    // --- versions -----------------------------------------------------------------------------------
    async function loadVersions() {
      versionsDrawer.rows = await api.get(defPath(current.key, '/versions'));
    }
    async function showVersions() {
      await loadVersions();
      versionsDrawer.visible = true;
    }
    async function viewReadonly(row) {
      if (!(await confirmDiscard())) return;
      versionsDrawer.visible = false;
      await openVersion(current.key, row.version, true);
    }
    async function backToEdit() {
      const latest = await api.get(defPath(current.key));
      await openVersion(current.key, latest.version, false);
    }

    // --- new process --------------------------------------------------------------------------------
    function startNew() {
      Object.assign(newDialog, { visible: true, key: '', name: '', error: '' });
    }
    async function createNew() {
      const key = newDialog.key.trim();
      if (!KEY_PATTERN.test(key)) { newDialog.error = t('modeler.keyInvalid'); return; }
      if (processes.value.some((p) => p.key === key)) { newDialog.error = t('modeler.keyExists'); return; }
      if (!(await confirmDiscard())) return;
      newDialog.visible = false;
      Object.assign(current, { key, name: newDialog.name || key, version: null, latest: null, mainFile: `${key}.bpmn`, others: [], readonly: false });
      await show(blankDiagram(key, newDialog.name || key), false);
      dirty.value = true;
    }

    // --- find an element (large diagrams) ----------------------------------------------------------------
    function refreshFindItems(open) {
      if (!open || !bpmn) return;
      find.items = bpmn.get('elementRegistry')
        .filter((e) => !e.labelTarget && e.type !== 'bpmn:Process' && e.type !== 'bpmn:Collaboration' && e.businessObject?.id)
        .map((e) => ({ id: e.id, label: e.businessObject.name ? `${e.businessObject.name}（${e.id}）` : e.id }));
    }
    function findElement(id) {
      selectElement(id);
      find.value = '';
    }

    function warnBeforeLeaving(event) {
      if (dirty.value && !current.readonly) { event.preventDefault(); event.returnValue = ''; }
    }

    onMounted(async () => {
      window.addEventListener('beforeunload', warnBeforeLeaving);
      await Promise.all([loadProcesses(), loadOptions()]);
      const params = new URLSearchParams(location.search);
      const key = params.get('key');
      if (key && processes.value.some((p) => p.key === key)) {
        const version = Number(params.get('version'));
        if (version) await openVersion(key, version, true);
        else await openProcess({ key });
      }
    });
    onBeforeUnmount(() => {
      window.removeEventListener('beforeunload', warnBeforeLeaving);
      if (bpmn) bpmn.destroy();
    });

    return {
      canvasEl, processes, options, current, selected, revision, dirty, problems, problemsOpen, deploying,
      versionsDrawer, newDialog, find, userTaskIds, bundleFiles,
      editor,
      openProcess, validate, deploy, downloadXml, showVersions, viewReadonly, backToEdit, startNew, createNew,
      selectElement, refreshFindItems, findElement, formatDateTime, t,
      fit: fitDiagram,
      statusText: (s) => t(`modeler.status.${s}`),
    };
  },
  template: `
    <app-shell active="modeler">
      <div class="cb-modeler">
        <aside class="cb-modeler-list cb-card">
          <div class="cb-modeler-list-head">
            <b>{{ t('modeler.processes') }}</b>
            <el-button size="small" type="primary" plain @click="startNew">{{ t('modeler.new') }}</el-button>
          </div>
          <div class="cb-modeler-items">
            <div v-for="p in processes" :key="p.key" class="cb-modeler-item" :class="{ active: p.key === current.key }"
                 :data-key="p.key" @click="openProcess(p)">
              <div class="cb-modeler-item-name">{{ p.name || p.key }}</div>
              <div class="cb-muted cb-modeler-item-key">{{ p.key }} · v{{ p.version }}</div>
            </div>
          </div>
        </aside>

        <section class="cb-modeler-work">
          <div class="cb-toolbar cb-modeler-toolbar">
            <template v-if="current.key">
              <span class="cb-title">{{ current.name }}</span>
              <el-tag size="small" class="cb-modeler-version">{{ current.version ? t('modeler.version', { version: current.version }) : t('modeler.notDeployed') }}</el-tag>
              <el-tag v-if="current.readonly" size="small" type="warning" effect="dark" class="cb-readonly-badge">{{ t('modeler.readonly') }}</el-tag>
              <el-tag v-else-if="dirty" size="small" type="danger" effect="plain" class="cb-dirty">{{ t('modeler.dirty') }}</el-tag>
              <span class="cb-spacer"></span>
              <el-select v-model="find.value" filterable size="small" class="cb-find-element" :placeholder="t('modeler.find')"
                         @visible-change="refreshFindItems" @change="findElement">
                <el-option v-for="i in find.items" :key="i.id" :value="i.id" :label="i.label" />
              </el-select>
              <el-button size="small" @click="fit">{{ t('modeler.fit') }}</el-button>
              <el-button size="small" @click="downloadXml">{{ t('modeler.download') }}</el-button>
              <el-button v-if="current.version" size="small" class="cb-versions-button" @click="showVersions">{{ t('modeler.versions') }}</el-button>
              <el-button v-if="current.readonly" size="small" type="primary" plain @click="backToEdit">{{ t('modeler.backToEdit') }}</el-button>
              <template v-else>
                <el-button size="small" class="cb-validate-button" :loading="deploying" @click="validate">{{ t('modeler.validate') }}</el-button>
                <el-button size="small" type="primary" class="cb-deploy-button" :loading="deploying" @click="deploy">{{ t('modeler.deploy') }}</el-button>
              </template>
            </template>
            <span v-else class="cb-muted">{{ t('modeler.empty') }}</span>
          </div>
          <div v-if="current.others.length && !current.readonly" class="cb-muted cb-modeler-bundle">{{ t('modeler.bundle', { files: bundleFiles }) }}</div>
          <div class="cb-modeler-canvas" :class="{ readonly: current.readonly }" ref="canvasEl"></div>
          <div v-if="problemsOpen" class="cb-modeler-problems cb-card">
            <div class="cb-modeler-problems-head">
              <b>{{ t('modeler.problems', { count: problems.length }) }}</b>
              <span class="cb-spacer"></span>
              <el-button text size="small" @click="problemsOpen = false">{{ t('modeler.close') }}</el-button>
            </div>
            <el-table :data="problems" size="small" max-height="150" @row-click="(row) => selectElement(row.element_id)"
                      row-class-name="cb-problem-row">
              <el-table-column prop="element_id" :label="t('modeler.problem.element')" width="190" />
              <el-table-column prop="message" :label="t('modeler.problem.message')" />
              <el-table-column prop="file" :label="t('modeler.problem.file')" width="170" />
            </el-table>
          </div>
        </section>

        <aside class="cb-modeler-panel cb-card">
          <modeler-panel :element="selected" :revision="revision" :editor="editor" :readonly="current.readonly"
                         :options="options" :process-key="current.key" :deployed="!!current.version"
                         :user-task-ids="userTaskIds" />
        </aside>
      </div>

      <el-drawer v-model="versionsDrawer.visible" :title="t('modeler.versions')" size="560px" class="cb-versions-drawer">
        <el-table :data="versionsDrawer.rows" size="small">
          <el-table-column prop="version" :label="t('modeler.col.version')" width="60" />
          <el-table-column :label="t('modeler.col.status')" width="70">
            <template #default="{ row }">{{ statusText(row.status) }}</template>
          </el-table-column>
          <el-table-column :label="t('modeler.col.deployedAt')" width="160">
            <template #default="{ row }">{{ formatDateTime(row.deployed_at) }}</template>
          </el-table-column>
          <el-table-column prop="deployed_by" :label="t('modeler.col.deployedBy')" width="80" />
          <el-table-column>
            <template #default="{ row }">
              <el-link type="primary" :data-version="row.version" class="cb-open-version" @click="viewReadonly(row)">{{ t('modeler.open') }}</el-link>
            </template>
          </el-table-column>
        </el-table>
      </el-drawer>

      <el-dialog v-model="newDialog.visible" :title="t('modeler.new')" width="420px" class="cb-new-process-dialog">
        <el-form label-position="top" @submit.prevent="createNew">
          <el-form-item :label="t('modeler.key')" :error="newDialog.error">
            <el-input v-model="newDialog.key" name="key" :placeholder="t('modeler.keyHint')" />
          </el-form-item>
          <el-form-item :label="t('modeler.name')">
            <el-input v-model="newDialog.name" name="name" />
          </el-form-item>
        </el-form>
        <template #footer>
          <el-button @click="newDialog.visible = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" @click="createNew">{{ t('common.ok') }}</el-button>
        </template>
      </el-dialog>
    </app-shell>`,
};

if (requireLogin()) {
  document.title = `${t('modeler.title')} · citybpm`;
  installI18n(createApp(ModelerPage)).mount('#app');
}
