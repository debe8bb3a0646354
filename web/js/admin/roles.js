// 权限配置: roles with their data scope and permissions, the checkboxes grouped by the catalog's prefixes.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { mountAdminPage, useErrors } from './layout.js';

const SCOPES = ['self', 'org', 'org_tree', 'all'];

addMessages({
  zh: {
    'roles.code': '角色编码', 'roles.name': '角色名称', 'roles.scope': '数据范围', 'roles.permissions': '权限',
    'roles.scope.self': '本人', 'roles.scope.org': '本机构', 'roles.scope.org_tree': '本机构及下级',
    'roles.scope.all': '全部', 'roles.new': '新增角色', 'roles.editTitle': '编辑角色：{name}',
    'roles.count': '{count} 项', 'roles.selectAll': '全选',
    'roles.group.case': '案件', 'roles.group.task': '任务', 'roles.group.definition': '流程定义',
    'roles.group.process': '流程配置', 'roles.group.form': '表单', 'roles.group.calendar': '工作日历',
    'roles.group.time_limit': '时限标准', 'roles.group.notification': '通知', 'roles.group.delivery': '消息投递',
    'roles.group.org': '机构', 'roles.group.user': '人员', 'roles.group.role': '角色与权限',
    'roles.group.token': 'API 令牌', 'roles.group.audit': '审计', 'roles.group.setting': '系统参数',
    'roles.group.catalog': '分类与网格', 'roles.group.evaluation': '绩效考核', 'roles.group.law': '法律法规',
    'roles.group.document': '执法文书', 'roles.group.enforcement': '综合执法',
  },
  en: {
    'roles.code': 'Code', 'roles.name': 'Name', 'roles.scope': 'Data scope', 'roles.permissions': 'Permissions',
    'roles.scope.self': 'Own', 'roles.scope.org': 'Own organisation', 'roles.scope.org_tree': 'Organisation and below',
    'roles.scope.all': 'All', 'roles.new': 'New role', 'roles.editTitle': 'Edit role {name}',
    'roles.count': '{count}', 'roles.selectAll': 'All',
  },
});

// The catalog as [{group, permissions: [{code, name}]}], grouped by the part before the dot.
function grouped(catalog) {
  const groups = new Map();
  for (const permission of catalog) {
    const group = permission.code.split('.')[0];
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(permission);
  }
  return [...groups].map(([group, permissions]) => ({ group, permissions }));
}

function groupLabel(group) {
  const key = `roles.group.${group}`;
  const text = t(key);
  return text === key ? group : text;
}

function useRoleDialog(reload) {
  const dialog = reactive({ open: false, editing: null, saving: false,
    form: { code: '', name: '', data_scope: 'self', permissions: [] } });
  const errors = useErrors(['code', 'name', 'data_scope', 'permissions']);
  function open(role) {
    dialog.form = role ? { ...role, permissions: [...role.permissions] }
      : { code: '', name: '', data_scope: 'self', permissions: [] };
    Object.assign(dialog, { open: true, editing: role });
    errors.clear();
  }
  function toggleGroup(permissions, checked) {
    const codes = permissions.map((p) => p.code);
    const rest = dialog.form.permissions.filter((code) => !codes.includes(code));
    dialog.form.permissions = checked ? [...rest, ...codes] : rest;
  }
  async function save() {
    dialog.saving = true;
    errors.clear();
    const { code, name, data_scope: dataScope, permissions } = dialog.form;
    try {
      if (dialog.editing) await api.put(`/roles/${encodeURIComponent(code)}`, { name, data_scope: dataScope, permissions });
      else await api.post('/roles', { code: code.trim(), name, data_scope: dataScope, permissions });
      ElMessage.success(t('admin.saved'));
      dialog.open = false;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  return { dialog, errors, openRole: open, toggleGroup, save };
}

const RolesPage = {
  setup() {
    const roles = ref([]);
    const catalog = ref([]);
    const loading = ref(false);
    const groups = computed(() => grouped(catalog.value));
    const names = computed(() => Object.fromEntries(catalog.value.map((p) => [p.code, p.name])));

    async function load() {
      loading.value = true;
      try {
        [roles.value, catalog.value] = await Promise.all([api.get('/roles'), api.get('/permissions')]);
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }
    const dialogParts = useRoleDialog(load);
    const groupState = (permissions) => {
      const chosen = permissions.filter((p) => dialogParts.dialog.form.permissions.includes(p.code)).length;
      return { all: chosen === permissions.length, some: chosen > 0 && chosen < permissions.length };
    };
    onMounted(load);
    return { roles, groups, names, loading, SCOPES, groupLabel, groupState, ...dialogParts };
  },
  template: `
    <admin-layout page="roles">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.roles') }}</span>
          <span class="cb-spacer"></span>
          <el-button type="primary" @click="openRole(null)">{{ t('roles.new') }}</el-button>
        </div>
        <el-table :data="roles" v-loading="loading" stripe :empty-text="t('common.none')" class="cb-roles-table">
          <el-table-column prop="code" :label="t('roles.code')" width="150" />
          <el-table-column prop="name" :label="t('roles.name')" width="170" />
          <el-table-column :label="t('roles.scope')" width="130">
            <template #default="{ row }">{{ t('roles.scope.' + row.data_scope) }}</template>
          </el-table-column>
          <el-table-column :label="t('roles.permissions')" min-width="300">
            <template #default="{ row }">
              <span class="cb-admin-desc">{{ t('roles.count', { count: row.permissions.length }) }}：
                {{ row.permissions.slice(0, 6).map(code => names[code] || code).join('、') }}{{ row.permissions.length > 6 ? '…' : '' }}</span>
            </template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="90" fixed="right">
            <template #default="{ row }">
              <el-button link type="primary" @click="openRole(row)">{{ t('admin.edit') }}</el-button>
            </template>
          </el-table-column>
        </el-table>
      </div>

      <el-dialog v-model="dialog.open" :title="dialog.editing ? t('roles.editTitle', { name: dialog.editing.name }) : t('roles.new')"
                 width="860px" top="5vh" class="cb-role-dialog" :close-on-click-modal="false">
        <el-form label-width="84px" @submit.prevent>
          <el-form-item :label="t('roles.code')" :error="errors.fields.code" required>
            <el-input v-model="dialog.form.code" name="code" :disabled="!!dialog.editing" style="width: 240px" />
          </el-form-item>
          <el-form-item :label="t('roles.name')" :error="errors.fields.name" required>
            <el-input v-model="dialog.form.name" name="name" style="width: 240px" />
          </el-form-item>
          <el-form-item :label="t('roles.scope')" :error="errors.fields.data_scope">
            <el-radio-group v-model="dialog.form.data_scope">
              <el-radio v-for="scope in SCOPES" :key="scope" :value="scope">{{ t('roles.scope.' + scope) }}</el-radio>
            </el-radio-group>
          </el-form-item>
          <el-form-item :label="t('roles.permissions')" :error="errors.fields.permissions">
            <div style="max-height: 46vh; overflow: auto; width: 100%">
              <div v-for="g in groups" :key="g.group" class="cb-admin-perm-group">
                <h4><el-checkbox :model-value="groupState(g.permissions).all" :indeterminate="groupState(g.permissions).some"
                                 @change="checked => toggleGroup(g.permissions, checked)">{{ groupLabel(g.group) }}</el-checkbox></h4>
                <el-checkbox-group v-model="dialog.form.permissions">
                  <el-checkbox v-for="p in g.permissions" :key="p.code" :value="p.code" :title="p.code">{{ p.name }}</el-checkbox>
                </el-checkbox-group>
              </div>
            </div>
          </el-form-item>
        </el-form>
        <form-errors :errors="errors" />
        <template #footer>
          <el-button @click="dialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="dialog.saving" @click="save">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>
    </admin-layout>`,
};

mountAdminPage('roles', RolesPage);
