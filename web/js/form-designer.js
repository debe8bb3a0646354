// The form designer: the list of forms, the form-js editor (in Chinese where we can reach its texts), a live
// preview checked by the server's own validation, save draft, publish, versions with diff, export and import.
// The page loads the form-js editor and viewer UMD bundles (globals FormEditor and FormViewer).
import { computed, createApp, nextTick, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { api, ApiError, currentUser, logout, requireLogin } from './api.js';
import { FORM_EDITOR_ZH, currentLang, installI18n, t } from './i18n.js';
import { renderForm } from './form-viewer.js';

const LIST_PAGE_SIZE = 20;
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

const emptySchema = (key) => ({ type: 'default', id: key, components: [] });
const formPath = (key, rest = '') => `/forms/${encodeURIComponent(key)}${rest}`;

// One message at a time: a stack of toasts hides the page's own header.
function notify(type, message) {
  ElMessage.closeAll();
  ElMessage({ type, message });
}

function download(filename, content) {
  const blob = new Blob([JSON.stringify(content, null, 2)], { type: 'application/json' });
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: filename });
  link.click();
  URL.revokeObjectURL(link.href);
}

// --- the form-js editor in Chinese ------------------------------------------------------------------------
// Palette entries and new fields take their names from each field type's config, so those are renamed at
// the source (palette search then matches the Chinese names too, and a new text field is labelled 单行文本).
// formFields keeps the types in `_formFields`: there is no public way to list them.
function ChineseFieldNames(formFields) {
  for (const [type, component] of Object.entries(formFields._formFields)) {
    const name = FORM_EDITOR_ZH.fields[type];
    const config = component.config;
    if (!name || !config) continue;
    const englishName = config.name || config.label;
    const create = config.create && ((options = {}) => {
      const field = config.create(options);
      return 'label' in options || field.label !== englishName ? field : { ...field, label: name };
    });
    component.config = { ...config, name, ...(create ? { create } : {}) };
  }
}
ChineseFieldNames.$inject = ['formFields'];
const chineseFieldsModule = { __init__: ['chineseFieldNames'], chineseFieldNames: ['type', ChineseFieldNames] };

// Everything else (group titles, property labels, empty states) is fixed English in the editor's markup.
// Only the editor's own chrome is relabelled, never the form on the canvas, so a field the user labels
// "Key" stays "Key". Preact writes a text node only when its value changes, so our text survives re-renders
// and a changed text comes back through the observer.
const EDITOR_CHROME = [
  '.fjs-palette-header', '.fjs-palette-group-title', '.fjs-palette-no-entries', '.fjs-empty-editor-card',
  '.fjs-empty-component-text', '.fjs-repeat-render-footer', '.bio-properties-panel-header-type',
  '.bio-properties-panel-group-header-title', '.bio-properties-panel-label', '.bio-properties-panel-description',
  '.bio-properties-panel-placeholder-text',
].join(',');

function relabel(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data.trim();
    const chinese = FORM_EDITOR_ZH.texts[text];
    if (chinese && node.parentElement?.closest(EDITOR_CHROME)) node.data = node.data.replace(text, chinese);
  }
  root.querySelectorAll?.('input.fjs-palette-search').forEach((input) => {
    input.placeholder = FORM_EDITOR_ZH.texts[input.placeholder] || input.placeholder;
  });
}

function keepEditorChinese(container) {
  relabel(container);
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      const target = mutation.type === 'characterData' ? mutation.target.parentElement : mutation.target;
      if (target) relabel(target);
    }
  }).observe(container, { subtree: true, childList: true, characterData: true });
}

function createEditor(container) {
  const chinese = currentLang() === 'zh';
  const editor = new window.FormEditor.FormEditor({
    container,
    additionalModules: chinese ? [chineseFieldsModule] : [],
    exporter: { name: 'citybpm', version: '1' },
    // Property edits commit at once instead of 300 ms later, so 保存草稿 right after typing saves what was typed.
    debounce: false,
  });
  if (chinese) keepEditorChinese(container);
  return editor;
}

// --- the page ---------------------------------------------------------------------------------------------
const DesignerPage = {
  setup() {
    const mode = ref('list');
    const list = reactive({ items: [], total: 0, page: 1, loading: false });
    const form = reactive({ key: '', name: '', detail: null });
    // Unsaved means different from what was last opened or saved, so an undo back to it is clean again.
    const schemaChanged = ref(false);
    const dirty = computed(() => schemaChanged.value || Boolean(form.detail && form.name !== form.detail.name));
    const busy = ref('');
    const activeTab = ref('design');
    const previewProblems = ref([]);
    const newForm = reactive({ visible: false, key: '', name: '', error: '' });
    const problems = reactive({ visible: false, items: [] });
    const historyDrawer = reactive({ visible: false, versions: [], from: null, to: null, diff: null });
    const versionView = reactive({ visible: false, version: null, schema: null });
    const editorContainer = ref(null);
    const previewContainer = ref(null);
    const versionContainer = ref(null);
    const importInput = ref(null);
    // form-js objects stay out of Vue's reactivity: its proxies would break their internals
    let editor = null;
    let savedSchema = '';
    let preview = null;
    let versionPreview = null;

    function fail(error) {
      notify('error', error instanceof ApiError ? error.message : String(error));
    }

    async function loadList() {
      list.loading = true;
      try {
        Object.assign(list, await api.page('/forms', { page: list.page, page_size: LIST_PAGE_SIZE }));
      } catch (error) {
        fail(error);
      } finally {
        list.loading = false;
      }
    }

    function markSaved(schema) {
      savedSchema = JSON.stringify(schema);
      schemaChanged.value = JSON.stringify(editor.getSchema()) !== savedSchema;
    }

    async function confirmDiscard() {
      if (!dirty.value) return true;
      try {
        await ElMessageBox.confirm(t('designer.discard'), t('designer.unsaved'), { type: 'warning' });
        return true;
      } catch {
        return false;
      }
    }

    async function refreshDetail() {
      form.detail = await api.get(formPath(form.key));
      form.name = form.detail.name;
    }

    function showList() {
      mode.value = 'list';
      Object.assign(form, { key: '', name: '', detail: null });
      schemaChanged.value = false;
      history.replaceState(null, '', location.pathname);
      loadList();
    }

    async function openForm(key) {
      if (!(await confirmDiscard())) return;
      try {
        form.key = key;
        await refreshDetail();
      } catch (error) {
        fail(error);
        showList();
        return;
      }
      const current = form.detail.draft || form.detail.published;
      mode.value = 'edit';
      activeTab.value = 'design';
      await nextTick();
      if (!editor) {
        editor = createEditor(editorContainer.value);
        // every edit, undo and redo; some property entries commit again on blur, with the same value
        editor.on('commandStack.changed', () => {
          schemaChanged.value = JSON.stringify(editor.getSchema()) !== savedSchema;
        });
      }
      try {
        await editor.importSchema(current ? current.schema : emptySchema(key));
      } catch (error) {
        // e.g. two fields bound to one key (made through the API): leave, so nothing half-loaded gets saved
        notify('error', t('designer.cannotOpen', { reason: error.message }));
        showList();
        return;
      }
      markSaved(editor.getSchema());
      history.replaceState(null, '', `?key=${encodeURIComponent(key)}`);
      document.title = `${form.name} · ${t('designer.title')}`;
    }

    async function backToList() {
      if (await confirmDiscard()) showList();
    }

    async function createForm() {
      newForm.error = '';
      if (!KEY_PATTERN.test(newForm.key) || !newForm.name.trim()) {
        newForm.error = t('designer.keyHint');
        return;
      }
      busy.value = 'create';
      try {
        await api.post('/forms', { key: newForm.key, name: newForm.name.trim(), schema: emptySchema(newForm.key) });
        newForm.visible = false;
        notify('success', t('designer.created'));
        await openForm(newForm.key);
      } catch (error) {
        newForm.error = error.errors.length ? error.errors.map((e) => e.message).join('；') : error.message;
      } finally {
        busy.value = '';
      }
    }

    async function saveDraft({ quiet = false } = {}) {
      busy.value = 'save';
      try {
        const schema = editor.getSchema();
        const draft = await api.put(formPath(form.key, '/draft'), { schema, name: form.name });
        await refreshDetail();
        markSaved(schema);
        if (!quiet) notify('success', t('designer.saved', { version: draft.version }));
        return true;
      } catch (error) {
        fail(error);
        return false;
      } finally {
        busy.value = '';
      }
    }

    // Publishing means publishing what is on screen: unsaved edits are saved as the draft first.
    async function publish() {
      if (dirty.value && !(await saveDraft({ quiet: true }))) return;
      busy.value = 'publish';
      try {
        const published = await api.post(formPath(form.key, '/publish'));
        await refreshDetail();
        notify('success', t('designer.published', { version: published.version }));
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && error.errors.length) {
          Object.assign(problems, { visible: true, items: error.errors });
        }
        fail(error.status === 422 ? t('designer.publishRefused') : error);
      } finally {
        busy.value = '';
      }
    }

    // A publish problem names its component: show it in the editor with its properties.
    function showComponent(problem) {
      const field = problem.component_id && editor.get('formFieldRegistry').get(problem.component_id);
      if (!field) return;
      problems.visible = false;
      activeTab.value = 'design';
      editor.get('selection').set(field);
    }

    async function renderPreview() {
      const data = preview ? preview.currentData() : {};
      preview?.destroy();
      previewProblems.value = [];
      preview = await renderForm(previewContainer.value, editor.getSchema(), { data });
    }

    async function onTabChange(name) {
      if (name === 'preview') {
        await nextTick();
        renderPreview().catch(fail);
      }
    }

    // The same validation the server runs when a task is completed, on the schema as it is in the editor.
    async function validatePreview() {
      busy.value = 'validate';
      try {
        const result = await api.post(formPath(form.key, '/validate'), { schema: editor.getSchema(), data: preview.collect() });
        previewProblems.value = preview.showErrors(result.errors || []);
        if (result.valid) notify('success', t('designer.valid'));
        else notify('warning', t('designer.invalid'));
      } catch (error) {
        fail(error);
      } finally {
        busy.value = '';
      }
    }

    async function openHistory() {
      try {
        historyDrawer.versions = await api.get(formPath(form.key, '/versions'));
        const numbers = historyDrawer.versions.map((v) => v.version).sort((a, b) => a - b);
        historyDrawer.to = numbers[numbers.length - 1] ?? null;
        historyDrawer.from = numbers.length > 1 ? numbers[numbers.length - 2] : historyDrawer.to;
        historyDrawer.diff = null;
        historyDrawer.visible = true;
      } catch (error) {
        fail(error);
      }
    }

    async function compare() {
      try {
        historyDrawer.diff = await api.get(formPath(form.key, '/diff'), { from: historyDrawer.from, to: historyDrawer.to });
      } catch (error) {
        fail(error);
      }
    }

    async function viewVersion(version) {
      try {
        const found = await api.get(formPath(form.key, `/versions/${version}`));
        Object.assign(versionView, { visible: true, version, schema: found.schema });
      } catch (error) {
        fail(error);
      }
    }

    async function renderVersion() {
      versionPreview?.destroy();
      versionPreview = await renderForm(versionContainer.value, versionView.schema, { readOnly: true });
    }

    async function exportVersion(version) {
      try {
        download(`${form.key}-v${version}.json`, await api.get(formPath(form.key, `/versions/${version}/export`)));
      } catch (error) {
        fail(error);
      }
    }

    const latestVersion = () => form.detail?.versions?.reduce((max, v) => Math.max(max, v.version), 0) || null;

    async function importFile(event) {
      const file = event.target.files[0];
      event.target.value = '';  // the same file can be chosen again after fixing it
      if (!file) return;
      let exported;
      try {
        exported = JSON.parse(await file.text());
      } catch {
        notify('error', t('designer.badFile'));
        return;
      }
      try {
        const draft = await api.post('/forms/import', exported);
        notify('success', t('designer.imported', { version: draft.version }));
        await openForm(draft.key);
      } catch (error) {
        fail(error);
      }
    }

    onMounted(() => {
      const key = new URLSearchParams(location.search).get('key');
      if (key) openForm(key);
      else loadList();
    });
    window.addEventListener('beforeunload', (event) => { if (dirty.value) event.preventDefault(); });

    return {
      mode, list, form, dirty, busy, activeTab, previewProblems, newForm, problems, historyDrawer, versionView,
      editorContainer, previewContainer, versionContainer, importInput, user: currentUser(), LIST_PAGE_SIZE,
      logout, loadList, openForm, backToList, createForm, saveDraft, publish, showComponent, onTabChange,
      validatePreview, openHistory, compare, viewVersion, renderVersion, exportVersion, latestVersion, importFile,
      changePage: (page) => { list.page = page; loadList(); },
      openNewForm: () => Object.assign(newForm, { visible: true, key: '', name: '', error: '' }),
      statusText: (status) => t(`designer.status.${status}`),
      changeText: (change) => t(`designer.change.${change}`),
      json: (value) => (value === undefined || value === null ? '' : JSON.stringify(value, null, 1)),
    };
  },
  template: `
    <div class="cb-page">
      <header class="cb-header">
        <span class="cb-brand">{{ t('app.name') }}</span>
        <nav>
          <a href="/index.html">{{ t('nav.home') }}</a>
          <a href="/inbox.html">{{ t('nav.inbox') }}</a>
          <a href="/forms/designer.html" class="active">{{ t('nav.designer') }}</a>
        </nav>
        <span class="cb-user">{{ user && (user.display_name || user.username) }}</span>
        <lang-switch />
        <el-button text size="small" @click="logout">{{ t('nav.logout') }}</el-button>
      </header>
      <input ref="importInput" type="file" accept="application/json,.json" style="display: none" @change="importFile">

      <main v-show="mode === 'list'" class="cb-main">
        <div class="cb-card">
          <div class="cb-toolbar" style="margin-bottom: 12px">
            <span class="cb-title">{{ t('designer.forms') }}</span>
            <span class="cb-spacer"></span>
            <el-button @click="importInput.click()" class="cb-import">{{ t('designer.import') }}</el-button>
            <el-button type="primary" @click="openNewForm" class="cb-new-form">{{ t('designer.new') }}</el-button>
          </div>
          <el-table :data="list.items" v-loading="list.loading" :empty-text="t('common.none')" stripe
                    class="cb-forms-table" @row-click="(row) => openForm(row.key)" style="cursor: pointer">
            <el-table-column prop="name" :label="t('designer.name')" min-width="180" />
            <el-table-column prop="key" :label="t('designer.key')" min-width="200" />
            <el-table-column :label="t('designer.status')" width="100">
              <template #default="{ row }">
                <el-tag :type="row.status === 'published' ? 'success' : 'info'" size="small" disable-transitions>{{ statusText(row.status) }}</el-tag>
              </template>
            </el-table-column>
            <el-table-column prop="latest_version" :label="t('designer.latest')" width="100" />
            <el-table-column prop="published_version" :label="t('designer.publishedVersion')" width="100" />
            <el-table-column :label="t('designer.updatedAt')" width="180">
              <template #default="{ row }">{{ formatDateTime(row.updated_at) }}</template>
            </el-table-column>
          </el-table>
          <el-pagination v-if="list.total > LIST_PAGE_SIZE" layout="total, prev, pager, next" :total="list.total"
                         :page-size="LIST_PAGE_SIZE" :current-page="list.page" @current-change="changePage"
                         style="margin-top: 12px; justify-content: flex-end" />
        </div>
      </main>

      <main v-show="mode === 'edit'" class="cb-designer">
        <div class="cb-workspace">
          <div class="cb-toolbar">
            <el-button size="small" @click="backToList">← {{ t('designer.forms') }}</el-button>
            <el-input v-model="form.name" size="small" style="width: 200px" class="cb-form-name-input"
                      :aria-label="t('designer.name')" />
            <span class="cb-muted">{{ form.key }}</span>
            <template v-if="form.detail">
              <el-tag v-if="form.detail.published" type="success" size="small" class="cb-published-tag">
                {{ t('designer.status.published') }} v{{ form.detail.published.version }}</el-tag>
              <el-tag v-if="form.detail.draft" type="info" size="small" class="cb-draft-tag">
                {{ t('designer.status.draft') }} v{{ form.detail.draft.version }}</el-tag>
            </template>
            <el-tag v-if="dirty" type="warning" size="small" effect="plain">{{ t('designer.unsaved') }}</el-tag>
            <span class="cb-spacer"></span>
            <el-button size="small" @click="openHistory" class="cb-history">{{ t('designer.history') }}</el-button>
            <el-button size="small" @click="exportVersion(latestVersion())" :disabled="!latestVersion()">{{ t('designer.export') }}</el-button>
            <el-button size="small" @click="saveDraft()" :loading="busy === 'save'" class="cb-save">{{ t('designer.saveDraft') }}</el-button>
            <el-button size="small" type="primary" @click="publish" :loading="busy === 'publish'" class="cb-publish">{{ t('designer.publish') }}</el-button>
          </div>
          <el-tabs v-model="activeTab" class="cb-tabs" @tab-change="onTabChange">
            <el-tab-pane :label="t('designer.design')" name="design">
              <div ref="editorContainer" class="cb-editor"></div>
            </el-tab-pane>
            <el-tab-pane :label="t('designer.preview')" name="preview">
              <div class="cb-preview">
                <div class="cb-preview-form">
                  <div ref="previewContainer" class="cb-form"></div>
                  <div v-if="previewProblems.length" class="cb-form-errors">
                    <b>{{ t('form.otherErrors') }}</b>
                    <ul><li v-for="p in previewProblems">{{ p.field ? t('form.fieldMessage', p) : p.message }}</li></ul>
                  </div>
                </div>
                <div class="cb-preview-side">
                  <el-button type="primary" @click="validatePreview" :loading="busy === 'validate'" class="cb-validate">
                    {{ t('designer.validate') }}</el-button>
                </div>
              </div>
            </el-tab-pane>
          </el-tabs>
        </div>
      </main>

      <el-dialog v-model="newForm.visible" :title="t('designer.new')" width="460px" class="cb-new-form-dialog">
        <el-form label-width="90px" @submit.prevent="createForm">
          <el-form-item :label="t('designer.key')">
            <el-input v-model="newForm.key" name="key" placeholder="demo_inspect" />
            <div class="cb-muted" style="font-size: 12px; line-height: 1.5">{{ t('designer.keyHint') }}</div>
          </el-form-item>
          <el-form-item :label="t('designer.name')">
            <el-input v-model="newForm.name" name="name" @keyup.enter="createForm" />
          </el-form-item>
          <el-alert v-if="newForm.error" :title="newForm.error" type="error" :closable="false" />
        </el-form>
        <template #footer>
          <el-button @click="newForm.visible = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="busy === 'create'" @click="createForm" class="cb-create">{{ t('common.ok') }}</el-button>
        </template>
      </el-dialog>

      <el-dialog v-model="problems.visible" :title="t('designer.problems')" width="640px" class="cb-problems-dialog">
        <el-table :data="problems.items" size="small" @row-click="showComponent">
          <el-table-column prop="field" :label="t('designer.field')" width="180" />
          <el-table-column prop="message" :label="t('designer.message')" />
        </el-table>
      </el-dialog>

      <el-drawer v-model="historyDrawer.visible" :title="t('designer.history')" size="760px" class="cb-history-drawer">
        <el-table :data="historyDrawer.versions" size="small">
          <el-table-column prop="version" :label="t('designer.version')" width="70" />
          <el-table-column :label="t('designer.status')" width="90">
            <template #default="{ row }">{{ statusText(row.status) }}</template>
          </el-table-column>
          <el-table-column :label="t('designer.createdAt')" width="160">
            <template #default="{ row }">{{ formatDateTime(row.created_at) }}</template>
          </el-table-column>
          <el-table-column prop="created_by" :label="t('designer.createdBy')" width="90" />
          <el-table-column :label="t('designer.publishedAt')" width="160">
            <template #default="{ row }">{{ formatDateTime(row.published_at) }}</template>
          </el-table-column>
          <el-table-column :label="t('common.actions')">
            <template #default="{ row }">
              <el-link type="primary" @click="viewVersion(row.version)">{{ t('designer.view') }}</el-link>
              &nbsp;<el-link type="primary" @click="exportVersion(row.version)">{{ t('designer.export') }}</el-link>
            </template>
          </el-table-column>
        </el-table>
        <div class="cb-toolbar" style="margin: 16px 0 8px">
          <span>{{ t('designer.diffFrom') }}</span>
          <el-select v-model="historyDrawer.from" size="small" style="width: 90px">
            <el-option v-for="v in historyDrawer.versions" :key="v.version" :label="'v' + v.version" :value="v.version" />
          </el-select>
          <span>{{ t('designer.diffTo') }}</span>
          <el-select v-model="historyDrawer.to" size="small" style="width: 90px">
            <el-option v-for="v in historyDrawer.versions" :key="v.version" :label="'v' + v.version" :value="v.version" />
          </el-select>
          <el-button size="small" @click="compare">{{ t('designer.diff') }}</el-button>
        </div>
        <template v-if="historyDrawer.diff">
          <div class="cb-muted">{{ t('designer.diffTitle', { from: historyDrawer.diff.from, to: historyDrawer.diff.to }) }}</div>
          <p v-if="!historyDrawer.diff.changes.length">{{ t('designer.noChanges') }}</p>
          <el-table v-else :data="historyDrawer.diff.changes" size="small">
            <el-table-column prop="key" :label="t('designer.field')" width="120">
              <template #default="{ row }">{{ row.key || row.component_id }}</template>
            </el-table-column>
            <el-table-column :label="t('designer.change')" width="70">
              <template #default="{ row }">{{ changeText(row.change) }}</template>
            </el-table-column>
            <el-table-column :label="t('designer.before')">
              <template #default="{ row }"><pre class="cb-json">{{ json(row.before) }}</pre></template>
            </el-table-column>
            <el-table-column :label="t('designer.after')">
              <template #default="{ row }"><pre class="cb-json">{{ json(row.after) }}</pre></template>
            </el-table-column>
          </el-table>
        </template>
      </el-drawer>

      <el-dialog v-model="versionView.visible" :title="t('designer.viewVersion', { version: versionView.version })"
                 width="70%" @opened="renderVersion" class="cb-version-dialog">
        <div ref="versionContainer" class="cb-form"></div>
      </el-dialog>
    </div>`,
};

if (requireLogin()) {
  document.title = `${t('designer.title')} · citybpm`;
  installI18n(createApp(DesignerPage)).mount('#app');
}
