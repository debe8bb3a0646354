// What every 应用维护 page shares: the left menu inside AppShell, mounting, the server's field errors,
// confirmations and one paged list. Pages import from here and never from each other.
import { createApp, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { ApiError, api, requireLogin } from '../api.js';
import { addMessages, installI18n, t } from '../i18n.js';
import { AppShell } from '../shell.js';

addMessages({
  zh: {
    'admin.title': '应用维护',
    'admin.index': '概览', 'admin.orgs': '机构配置', 'admin.users': '人员配置', 'admin.roles': '权限配置',
    'admin.process': '流程配置', 'admin.settings': '系统配置', 'admin.catalog': '分类与网格',
    'admin.calendars': '工作日历', 'admin.tokens': 'API 令牌', 'admin.audit': '审计日志',
    'admin.add': '新增', 'admin.edit': '编辑', 'admin.save': '保存', 'admin.saved': '已保存',
    'admin.search': '搜索', 'admin.refresh': '刷新', 'admin.active': '启用', 'admin.inactive': '已停用',
    'admin.state': '状态', 'admin.disable': '停用', 'admin.enable': '启用', 'admin.code': '编码',
    'admin.name': '名称', 'admin.confirmTitle': '请确认', 'admin.done': '操作成功',
    'admin.otherErrors': '以下问题未对应到具体字段：', 'admin.yes': '是', 'admin.no': '否',
    'admin.all': '全部', 'admin.delete': '删除',
  },
  en: {
    'admin.title': 'Administration',
    'admin.index': 'Overview', 'admin.orgs': 'Organisations', 'admin.users': 'People', 'admin.roles': 'Roles',
    'admin.process': 'Processes', 'admin.settings': 'Settings', 'admin.catalog': 'Categories & grids',
    'admin.calendars': 'Calendars', 'admin.tokens': 'API tokens', 'admin.audit': 'Audit log',
    'admin.add': 'Add', 'admin.edit': 'Edit', 'admin.save': 'Save', 'admin.saved': 'Saved',
    'admin.search': 'Search', 'admin.refresh': 'Refresh', 'admin.active': 'Active', 'admin.inactive': 'Disabled',
    'admin.state': 'State', 'admin.disable': 'Disable', 'admin.enable': 'Enable', 'admin.code': 'Code',
    'admin.name': 'Name', 'admin.confirmTitle': 'Please confirm', 'admin.done': 'Done',
    'admin.otherErrors': 'Problems not tied to a field:', 'admin.yes': 'Yes', 'admin.no': 'No',
    'admin.all': 'All', 'admin.delete': 'Delete',
  },
});

// [page, label key]; the file is /admin/<page>.html and its module /js/admin/<page>.js.
export const ADMIN_PAGES = [
  ['index', 'admin.index'], ['orgs', 'admin.orgs'], ['users', 'admin.users'], ['roles', 'admin.roles'],
  ['process', 'admin.process'], ['settings', 'admin.settings'], ['catalog', 'admin.catalog'],
  ['calendars', 'admin.calendars'], ['tokens', 'admin.tokens'], ['audit', 'admin.audit'],
];

export const AdminLayout = {
  name: 'AdminLayout',
  props: { page: { type: String, required: true } },
  setup: () => ({ pages: ADMIN_PAGES }),
  template: `
    <app-shell active="admin">
      <div class="cb-admin">
        <aside class="cb-admin-menu">
          <div class="cb-admin-menu-title">{{ t('admin.title') }}</div>
          <a v-for="[key, label] in pages" :key="key" :href="'/admin/' + key + '.html'"
             :class="{ active: key === page }" :data-page="key">{{ t(label) }}</a>
        </aside>
        <section class="cb-admin-body" :data-admin-page="page"><slot /></section>
      </div>
    </app-shell>`,
};

// The 422 errors of the last refused request: `fields[name]` for el-form-item's `:error`, the rest in `other`.
// A nested path (memberships.0.org) belongs to its first segment when the form knows that one.
export function useErrors(known) {
  const fields = reactive({});
  const other = ref([]);
  function clear() {
    for (const name of Object.keys(fields)) delete fields[name];
    other.value = [];
  }
  function capture(error) {
    clear();
    if (!(error instanceof ApiError) || !error.errors.length) {
      ElMessage.error(error.message || String(error));
      return;
    }
    for (const { field, message } of error.errors) {
      const name = field && (known.includes(field) ? field : String(field).split('.')[0]);
      if (name && known.includes(name)) fields[name] = fields[name] ? `${fields[name]}；${message}` : message;
      else other.value.push(field ? `${field}：${message}` : message);
    }
    if (other.value.length === 0 && Object.keys(fields).length === 0) ElMessage.error(error.message);
  }
  return { fields, other, clear, capture };
}

// Errors that belong to no field of the form: shown above its buttons.
export const FormErrors = {
  name: 'FormErrors',
  props: { errors: { type: Object, required: true } },
  template: `
    <el-alert v-if="errors.other.length" type="error" :closable="false" class="cb-admin-form-errors">
      <div>{{ t('admin.otherErrors') }}</div>
      <ul><li v-for="message in errors.other" :key="message">{{ message }}</li></ul>
    </el-alert>`,
};

// Every destructive action goes through this: resolves true only on an explicit OK.
export async function confirmAction(message) {
  try {
    await ElMessageBox.confirm(message, t('admin.confirmTitle'), {
      type: 'warning', confirmButtonText: t('common.ok'), cancelButtonText: t('common.cancel'),
    });
    return true;
  } catch {
    return false;
  }
}

// Runs an API call, reporting failures as a message; the value, or undefined when it failed.
export async function attempt(call, success) {
  try {
    const value = await call();
    if (success) ElMessage.success(success);
    return value;
  } catch (error) {
    ElMessage.error(error.message || String(error));
    return undefined;
  }
}

// One list paged by the API (X-Pagination): `query()` gives the filters, load() fetches the current page.
export function usePaged(path, query = () => ({}), pageSize = 20) {
  const state = reactive({ items: [], total: 0, page: 1, pageSize, loading: false });
  async function load() {
    state.loading = true;
    try {
      const { items, total } = await api.page(path, { ...query(), page: state.page, page_size: state.pageSize });
      state.items = items;
      state.total = total;
    } catch (error) {
      ElMessage.error(error.message);
    } finally {
      state.loading = false;
    }
  }
  function search() {
    state.page = 1;
    return load();
  }
  function goTo(page) {
    state.page = page;
    return load();
  }
  return { state, load, search, goTo };
}

// Every page of a list the API pages (for pickers: organisations, roles …), at most `limit` rows.
export async function fetchAll(path, query = {}, limit = 1000) {
  const rows = [];
  for (let page = 1; rows.length < limit; page += 1) {
    const { items, total } = await api.page(path, { ...query, page, page_size: 100 });
    rows.push(...items);
    if (rows.length >= total || items.length === 0) break;
  }
  return rows;
}

// The organisation tree flattened for pickers: [{code, name, label, depth, is_active}], parents first.
export async function orgOptions() {
  const flat = [];
  const walk = (nodes, depth) => nodes.forEach((node) => {
    flat.push({ ...node, depth, label: `${'　'.repeat(depth)}${node.name}（${node.code}）` });
    walk(node.children || [], depth + 1);
  });
  walk(await api.get('/orgs/tree'), 0);
  return flat;
}

export const Paging = {
  name: 'Paging',
  props: { list: { type: Object, required: true } },
  template: `
    <el-pagination class="cb-admin-pager" layout="total, prev, pager, next" :total="list.state.total"
                   :page-size="list.state.pageSize" :current-page="list.state.page"
                   @current-change="list.goTo" />`,
};

// Mounts a page: login first, Element Plus in the page's language, the shared components.
export function mountAdminPage(page, component) {
  if (!requireLogin()) return;
  const label = ADMIN_PAGES.find(([key]) => key === page)[1];
  document.title = `${t(label)} · ${t('admin.title')} · citybpm`;
  const app = installI18n(createApp(component));
  for (const part of [AppShell, AdminLayout, FormErrors, Paging]) app.component(part.name, part);
  app.mount('#app');
}
