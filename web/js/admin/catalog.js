// 分类与网格: 部件/事件 categories (大类/小类) with their 立结案标准 and 处置时限, and the unit grids.
import { reactive, ref, onMounted } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { attempt, confirmAction, mountAdminPage, orgOptions, useErrors, usePaged } from './layout.js';

const UNITS = ['urgent_hours', 'work_hours', 'work_days', 'natural_days'];

addMessages({
  zh: {
    'catalog.categories': '部件/事件分类', 'catalog.grids': '单元网格', 'catalog.kind': '类型',
    'catalog.kind.part': '部件', 'catalog.kind.event': '事件', 'catalog.level': '级别',
    'catalog.level.major': '大类', 'catalog.level.minor': '小类', 'catalog.parent': '所属大类',
    'catalog.filing': '立案标准', 'catalog.closing': '结案标准', 'catalog.limit': '处置时限',
    'catalog.defaultLimit': '默认时限', 'catalog.sort': '排序', 'catalog.search': '编码前缀或名称',
    'catalog.unit.urgent_hours': '紧急工作时', 'catalog.unit.work_hours': '工作时', 'catalog.unit.work_days': '工作日',
    'catalog.unit.natural_days': '自然日', 'catalog.newCategory': '新增分类', 'catalog.newGrid': '新增网格',
    'catalog.org': '所属机构', 'catalog.confirmDisable': '停用“{name}”（{code}）？',
    'catalog.confirmEnable': '启用“{name}”（{code}）？',
  },
  en: {
    'catalog.categories': 'Categories', 'catalog.grids': 'Grids', 'catalog.kind': 'Kind', 'catalog.kind.part': 'Part',
    'catalog.kind.event': 'Event', 'catalog.level': 'Level', 'catalog.level.major': 'Major', 'catalog.level.minor': 'Minor',
    'catalog.parent': 'Major class', 'catalog.filing': 'Filing standard', 'catalog.closing': 'Closing standard',
    'catalog.limit': 'Time limit', 'catalog.defaultLimit': 'Default', 'catalog.sort': 'Order',
    'catalog.search': 'Code prefix or name', 'catalog.unit.urgent_hours': 'urgent working hours',
    'catalog.unit.work_hours': 'working hours', 'catalog.unit.work_days': 'working days',
    'catalog.unit.natural_days': 'calendar days', 'catalog.newCategory': 'New category', 'catalog.newGrid': 'New grid',
    'catalog.org': 'Organisation', 'catalog.confirmDisable': 'Disable "{name}" ({code})?',
    'catalog.confirmEnable': 'Enable "{name}" ({code})?',
  },
});

// One dialog for a row of a list: `create(form)` or `update(row, form)`, errors next to the fields.
function useRowDialog(fields, blank, create, update, reload) {
  const dialog = reactive({ open: false, editing: null, saving: false, form: blank() });
  const errors = useErrors(fields);
  function open(row) {
    dialog.form = row ? { ...blank(), ...row } : blank();
    Object.assign(dialog, { open: true, editing: row });
    errors.clear();
  }
  async function save() {
    dialog.saving = true;
    errors.clear();
    try {
      await (dialog.editing ? update(dialog.editing, dialog.form) : create(dialog.form));
      ElMessage.success(t('admin.saved'));
      dialog.open = false;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  return { dialog, errors, open, save };
}

const CATEGORY_FIELDS = ['code', 'name', 'kind', 'level', 'parent_code', 'sort', 'filing_standard', 'closing_standard',
  'handle_amount', 'handle_unit'];
const blankCategory = () => ({ code: '', name: '', kind: 'part', level: 'minor', parent_code: null, sort: 0,
  filing_standard: '', closing_standard: '', handle_amount: null, handle_unit: null });

function categoryChanges(form) {
  return { name: form.name, sort: form.sort, filing_standard: form.filing_standard || null,
    closing_standard: form.closing_standard || null, handle_amount: form.handle_amount ?? null,
    handle_unit: form.handle_unit || null };
}

function useCategories() {
  const filters = reactive({ kind: 'part', q: '' });
  const list = usePaged('/categories', () => ({ ...filters }));
  const majors = ref([]);
  const dialog = useRowDialog(CATEGORY_FIELDS, () => ({ ...blankCategory(), kind: filters.kind }),
    (form) => api.post('/categories', { ...categoryChanges(form), code: form.code.trim(), kind: form.kind,
      level: form.level, parent_code: form.level === 'minor' ? form.parent_code : null }),
    (row, form) => api.patch(`/categories/${encodeURIComponent(row.code)}`, categoryChanges(form)), list.load);
  async function loadMajors() {
    majors.value = (await api.page('/categories', { kind: filters.kind, level: 'major', page_size: 100 })).items;
  }
  function changeKind() {
    list.search();
    loadMajors();
  }
  async function setActive(row, active) {
    if (!await confirmAction(t(active ? 'catalog.confirmEnable' : 'catalog.confirmDisable', row))) return;
    const code = encodeURIComponent(row.code);
    await attempt(() => (active ? api.patch(`/categories/${code}`, { is_active: true })
      : api.post(`/categories/${code}/disable`)), t('admin.done'));
    list.load();
  }
  return { catFilters: filters, categories: list, majors, catDialog: dialog.dialog, catErrors: dialog.errors,
    openCategory: dialog.open, saveCategory: dialog.save, changeKind, loadMajors, setCategoryActive: setActive };
}

function useGrids() {
  const filters = reactive({ q: '' });
  const list = usePaged('/grids', () => ({ ...filters }));
  const dialog = useRowDialog(['code', 'name', 'org_code'], () => ({ code: '', name: '', org_code: '' }),
    (form) => api.post('/grids', { code: form.code.trim(), name: form.name, org_code: form.org_code }),
    (row, form) => api.patch(`/grids/${encodeURIComponent(row.code)}`, { name: form.name, org_code: form.org_code }),
    list.load);
  async function setActive(row, active) {
    if (!await confirmAction(t(active ? 'catalog.confirmEnable' : 'catalog.confirmDisable', row))) return;
    const code = encodeURIComponent(row.code);
    await attempt(() => (active ? api.patch(`/grids/${code}`, { is_active: true }) : api.post(`/grids/${code}/disable`)),
      t('admin.done'));
    list.load();
  }
  return { gridFilters: filters, grids: list, gridDialog: dialog.dialog, gridErrors: dialog.errors,
    openGrid: dialog.open, saveGrid: dialog.save, setGridActive: setActive };
}

const CatalogPage = {
  setup() {
    const tab = ref('categories');
    const orgs = ref([]);
    const parts = { ...useCategories(), ...useGrids() };
    const limitText = (row) => (row.handle_amount != null
      ? `${row.handle_amount} ${t('catalog.unit.' + row.handle_unit)}` : t('catalog.defaultLimit'));
    onMounted(async () => {
      parts.categories.load();
      parts.grids.load();
      parts.loadMajors();
      orgs.value = await orgOptions();
    });
    return { tab, orgs, UNITS, limitText, ...parts };
  },
  template: `
    <admin-layout page="catalog">
      <div class="cb-card">
        <el-tabs v-model="tab">
          <el-tab-pane :label="t('catalog.categories')" name="categories">
            <div class="cb-toolbar">
              <el-radio-group v-model="catFilters.kind" @change="changeKind">
                <el-radio-button value="part">{{ t('catalog.kind.part') }}</el-radio-button>
                <el-radio-button value="event">{{ t('catalog.kind.event') }}</el-radio-button>
              </el-radio-group>
              <el-input v-model="catFilters.q" :placeholder="t('catalog.search')" clearable style="width: 180px"
                        @keyup.enter="categories.search" @clear="categories.search" />
              <el-button @click="categories.search">{{ t('admin.search') }}</el-button>
              <span class="cb-spacer"></span>
              <el-button type="primary" @click="openCategory(null)">{{ t('catalog.newCategory') }}</el-button>
            </div>
            <el-table :data="categories.state.items" v-loading="categories.state.loading" size="small"
                      :empty-text="t('common.none')" class="cb-categories-table">
              <el-table-column prop="code" :label="t('admin.code')" width="80" />
              <el-table-column prop="name" :label="t('admin.name')" width="140" />
              <el-table-column :label="t('catalog.level')" width="70">
                <template #default="{ row }">{{ t('catalog.level.' + row.level) }}</template>
              </el-table-column>
              <el-table-column prop="filing_standard" :label="t('catalog.filing')" min-width="180" show-overflow-tooltip />
              <el-table-column prop="closing_standard" :label="t('catalog.closing')" min-width="180" show-overflow-tooltip />
              <el-table-column :label="t('catalog.limit')" width="130">
                <template #default="{ row }">{{ row.level === 'minor' ? limitText(row) : '' }}</template>
              </el-table-column>
              <el-table-column :label="t('admin.state')" width="80">
                <template #default="{ row }"><el-tag size="small" :type="row.is_active ? 'success' : 'info'">{{ row.is_active ? t('admin.active') : t('admin.inactive') }}</el-tag></template>
              </el-table-column>
              <el-table-column :label="t('common.actions')" width="110" fixed="right">
                <template #default="{ row }">
                  <el-button link type="primary" @click="openCategory(row)">{{ t('admin.edit') }}</el-button>
                  <el-button v-if="row.is_active" link type="danger" @click="setCategoryActive(row, false)">{{ t('admin.disable') }}</el-button>
                  <el-button v-else link type="success" @click="setCategoryActive(row, true)">{{ t('admin.enable') }}</el-button>
                </template>
              </el-table-column>
            </el-table>
            <paging :list="categories" />
          </el-tab-pane>
          <el-tab-pane :label="t('catalog.grids')" name="grids">
            <div class="cb-toolbar">
              <el-input v-model="gridFilters.q" :placeholder="t('catalog.search')" clearable style="width: 200px"
                        @keyup.enter="grids.search" @clear="grids.search" />
              <el-button @click="grids.search">{{ t('admin.search') }}</el-button>
              <span class="cb-spacer"></span>
              <el-button type="primary" @click="openGrid(null)">{{ t('catalog.newGrid') }}</el-button>
            </div>
            <el-table :data="grids.state.items" v-loading="grids.state.loading" size="small" :empty-text="t('common.none')" class="cb-grids-table">
              <el-table-column prop="code" :label="t('admin.code')" width="180" />
              <el-table-column prop="name" :label="t('admin.name')" min-width="160" />
              <el-table-column prop="org_code" :label="t('catalog.org')" width="140" />
              <el-table-column :label="t('admin.state')" width="80">
                <template #default="{ row }"><el-tag size="small" :type="row.is_active ? 'success' : 'info'">{{ row.is_active ? t('admin.active') : t('admin.inactive') }}</el-tag></template>
              </el-table-column>
              <el-table-column :label="t('common.actions')" width="110">
                <template #default="{ row }">
                  <el-button link type="primary" @click="openGrid(row)">{{ t('admin.edit') }}</el-button>
                  <el-button v-if="row.is_active" link type="danger" @click="setGridActive(row, false)">{{ t('admin.disable') }}</el-button>
                  <el-button v-else link type="success" @click="setGridActive(row, true)">{{ t('admin.enable') }}</el-button>
                </template>
              </el-table-column>
            </el-table>
            <paging :list="grids" />
          </el-tab-pane>
        </el-tabs>
      </div>

      <el-dialog v-model="catDialog.open" :title="catDialog.editing ? catDialog.editing.name : t('catalog.newCategory')"
                 width="600px" class="cb-category-dialog" :close-on-click-modal="false">
        <el-form label-width="90px" @submit.prevent>
          <el-form-item :label="t('admin.code')" :error="catErrors.fields.code" required>
            <el-input v-model="catDialog.form.code" name="code" :disabled="!!catDialog.editing" />
          </el-form-item>
          <el-form-item :label="t('admin.name')" :error="catErrors.fields.name" required>
            <el-input v-model="catDialog.form.name" name="name" />
          </el-form-item>
          <el-form-item v-if="!catDialog.editing" :label="t('catalog.level')" :error="catErrors.fields.level">
            <el-radio-group v-model="catDialog.form.level">
              <el-radio value="major">{{ t('catalog.level.major') }}</el-radio>
              <el-radio value="minor">{{ t('catalog.level.minor') }}</el-radio>
            </el-radio-group>
          </el-form-item>
          <el-form-item v-if="!catDialog.editing && catDialog.form.level === 'minor'" :label="t('catalog.parent')" :error="catErrors.fields.parent_code">
            <el-select v-model="catDialog.form.parent_code" filterable style="width: 100%">
              <el-option v-for="m in majors" :key="m.code" :label="m.code + ' ' + m.name" :value="m.code" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('catalog.filing')" :error="catErrors.fields.filing_standard">
            <el-input v-model="catDialog.form.filing_standard" type="textarea" :rows="2" name="filing_standard" />
          </el-form-item>
          <el-form-item :label="t('catalog.closing')" :error="catErrors.fields.closing_standard">
            <el-input v-model="catDialog.form.closing_standard" type="textarea" :rows="2" name="closing_standard" />
          </el-form-item>
          <el-form-item :label="t('catalog.limit')" :error="catErrors.fields.handle_amount || catErrors.fields.handle_unit">
            <el-input-number v-model="catDialog.form.handle_amount" :min="0" :step="0.5" controls-position="right" />
            <el-select v-model="catDialog.form.handle_unit" clearable :placeholder="t('catalog.defaultLimit')" style="width: 150px; margin-left: 8px">
              <el-option v-for="unit in UNITS" :key="unit" :label="t('catalog.unit.' + unit)" :value="unit" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('catalog.sort')" :error="catErrors.fields.sort">
            <el-input-number v-model="catDialog.form.sort" :step="1" />
          </el-form-item>
        </el-form>
        <form-errors :errors="catErrors" />
        <template #footer>
          <el-button @click="catDialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="catDialog.saving" @click="saveCategory">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>

      <el-dialog v-model="gridDialog.open" :title="gridDialog.editing ? gridDialog.editing.name : t('catalog.newGrid')"
                 width="480px" class="cb-grid-dialog" :close-on-click-modal="false">
        <el-form label-width="80px" @submit.prevent>
          <el-form-item :label="t('admin.code')" :error="gridErrors.fields.code" required>
            <el-input v-model="gridDialog.form.code" name="code" :disabled="!!gridDialog.editing" />
          </el-form-item>
          <el-form-item :label="t('admin.name')" :error="gridErrors.fields.name" required>
            <el-input v-model="gridDialog.form.name" name="name" />
          </el-form-item>
          <el-form-item :label="t('catalog.org')" :error="gridErrors.fields.org_code" required>
            <el-select v-model="gridDialog.form.org_code" filterable style="width: 100%">
              <el-option v-for="org in orgs" :key="org.code" :label="org.label" :value="org.code" />
            </el-select>
          </el-form-item>
        </el-form>
        <form-errors :errors="gridErrors" />
        <template #footer>
          <el-button @click="gridDialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="gridDialog.saving" @click="saveGrid">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>
    </admin-layout>`,
};

mountAdminPage('catalog', CatalogPage);
