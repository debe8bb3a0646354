// 人员配置: people with search and organisation filter; add/edit with roles and memberships;
// disable/enable; 离职转办 (hand-over of every open task) before someone leaves.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { attempt, confirmAction, mountAdminPage, orgOptions, useErrors, usePaged } from './layout.js';

addMessages({
  zh: {
    'users.username': '用户名', 'users.displayName': '姓名', 'users.password': '密码',
    'users.newPassword': '重置密码', 'users.newPasswordHint': '留空则不修改', 'users.post': '岗位',
    'users.phone': '电话', 'users.email': '邮箱', 'users.roles': '角色', 'users.orgs': '所属机构',
    'users.primary': '主机构', 'users.search': '用户名或姓名', 'users.orgFilter': '机构（含下级）',
    'users.roleFilter': '角色', 'users.new': '新增人员', 'users.editTitle': '编辑人员：{name}',
    'users.created': '人员已创建', 'users.handOver': '离职转办', 'users.handOverTo': '接手人',
    'users.reason': '原因', 'users.handedOver': '已转办 {count} 项待办',
    'users.confirmDisable': '停用“{name}”？停用后不能登录，已签发的令牌立即失效。',
    'users.openTasks': '此人还有 {count} 项待办，停用不会转走它们，建议先“离职转办”。',
    'users.confirmHandOver': '把“{name}”的全部待办转给“{to}”？',
    'users.confirmEnable': '启用“{name}”？',
    'users.passwordHint': '至少 8 位，须同时包含字母和数字',
  },
  en: {
    'users.username': 'Username', 'users.displayName': 'Name', 'users.password': 'Password',
    'users.newPassword': 'Reset password', 'users.newPasswordHint': 'Leave empty to keep it', 'users.post': 'Post',
    'users.phone': 'Phone', 'users.email': 'Email', 'users.roles': 'Roles', 'users.orgs': 'Organisations',
    'users.primary': 'Primary', 'users.search': 'Username or name', 'users.orgFilter': 'Organisation (and below)',
    'users.roleFilter': 'Role', 'users.new': 'New person', 'users.editTitle': 'Edit {name}',
    'users.created': 'Person created', 'users.handOver': 'Hand over', 'users.handOverTo': 'Hand over to',
    'users.reason': 'Reason', 'users.handedOver': '{count} open tasks handed over',
    'users.confirmDisable': 'Disable "{name}"? They can no longer log in and their tokens stop working.',
    'users.openTasks': 'They still have {count} open tasks, which disabling does not move: hand them over first.',
    'users.confirmHandOver': 'Hand every open task of "{name}" over to "{to}"?',
    'users.confirmEnable': 'Enable "{name}"?',
    'users.passwordHint': 'At least 8 characters with letters and digits',
  },
});

const FIELDS = ['username', 'display_name', 'password', 'post', 'phone', 'email', 'roles', 'memberships'];

function blankUser() {
  return { username: '', display_name: '', password: '', post: '', phone: '', email: '', roles: [], orgs: [], primary: '' };
}

// The dialog's org list and primary choice as the API's memberships.
function memberships(form) {
  const primary = form.orgs.includes(form.primary) ? form.primary : form.orgs[0];
  return form.orgs.map((org) => ({ org, is_primary: org === primary }));
}

function nullIfBlank(value) {
  return value && value.trim() ? value.trim() : null;
}

function useUserDialog(reload) {
  const dialog = reactive({ open: false, editing: null, saving: false, form: blankUser() });
  const errors = useErrors(FIELDS);

  function openNew() {
    Object.assign(dialog, { open: true, editing: null, form: blankUser() });
    errors.clear();
  }
  function openEdit(user) {
    const primary = user.memberships.find((m) => m.is_primary)?.org || '';
    dialog.form = { ...blankUser(), ...user, post: user.post || '', phone: user.phone || '', email: user.email || '',
      password: '', roles: [...user.roles], orgs: user.memberships.map((m) => m.org), primary };
    Object.assign(dialog, { open: true, editing: user });
    errors.clear();
  }
  async function create(form) {
    await api.post('/users', {
      username: form.username.trim(), display_name: form.display_name, password: form.password,
      post: nullIfBlank(form.post), phone: nullIfBlank(form.phone), email: nullIfBlank(form.email),
      roles: form.roles, memberships: memberships(form),
    });
    ElMessage.success(t('users.created'));
  }
  // Several calls, one per API resource; each refusal lands next to its own fields.
  async function update(form, before) {
    const name = encodeURIComponent(before.username);
    await api.patch(`/users/${name}`, { display_name: form.display_name, post: nullIfBlank(form.post),
      phone: nullIfBlank(form.phone), email: nullIfBlank(form.email) });
    await api.put(`/users/${name}/roles`, { roles: form.roles });
    await api.put(`/users/${name}/memberships`, { memberships: memberships(form) });
    if (form.password) await api.post(`/users/${name}/password`, { password: form.password });
    ElMessage.success(t('admin.saved'));
  }
  async function save() {
    dialog.saving = true;
    errors.clear();
    try {
      await (dialog.editing ? update(dialog.form, dialog.editing) : create(dialog.form));
      dialog.open = false;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  return { dialog, errors, openNew, openEdit, save };
}

function useHandOver(reload) {
  const handOver = reactive({ open: false, user: null, to: '', reason: '', candidates: [], saving: false });
  const errors = useErrors(['to', 'reason']);
  function open(user) {
    Object.assign(handOver, { open: true, user, to: '', reason: '', candidates: [] });
    errors.clear();
  }
  async function searchPeople(q) {
    const { items } = await api.page('/users', { q: q || undefined, active: true, page_size: 20 });
    handOver.candidates = items.filter((u) => u.username !== handOver.user.username);
  }
  async function submit() {
    const to = handOver.candidates.find((u) => u.username === handOver.to);
    const names = { name: handOver.user.display_name, to: to ? to.display_name : handOver.to };
    if (!await confirmAction(t('users.confirmHandOver', names))) return;
    handOver.saving = true;
    try {
      const result = await api.post(`/users/${encodeURIComponent(handOver.user.username)}/hand-over`,
        { to: handOver.to, reason: handOver.reason });
      ElMessage.success(t('users.handedOver', { count: result.transferred }));
      handOver.open = false;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      handOver.saving = false;
    }
  }
  return { handOver, handOverErrors: errors, openHandOver: open, searchPeople, submitHandOver: submit };
}

const UsersPage = {
  setup() {
    const filters = reactive({ q: '', under: '', role: '', active: 'all' });
    const list = usePaged('/users', () => ({ ...filters, active: filters.active === 'all' ? undefined : filters.active }));
    const orgs = ref([]);
    const roles = ref([]);
    const roleNames = computed(() => Object.fromEntries(roles.value.map((r) => [r.code, r.name])));
    const userDialog = useUserDialog(list.load);
    const handOver = useHandOver(list.load);

    async function setActive(user, active) {
      let message = t(active ? 'users.confirmEnable' : 'users.confirmDisable', { name: user.display_name });
      if (!active) {
        const detail = await api.get(`/users/${encodeURIComponent(user.username)}`);
        const open = detail.open_tasks.assigned + detail.open_tasks.candidate;
        if (open) message += `\n${t('users.openTasks', { count: open })}`;
      }
      if (!await confirmAction(message)) return;
      const action = active ? 'enable' : 'disable';
      await attempt(() => api.post(`/users/${encodeURIComponent(user.username)}/${action}`), t('admin.done'));
      list.load();
    }

    onMounted(async () => {
      list.load();
      [orgs.value, roles.value] = await Promise.all([orgOptions(), api.get('/roles')]);
    });
    return { filters, list, orgs, roles, roleNames, setActive, ...userDialog, ...handOver };
  },
  template: `
    <admin-layout page="users">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.users') }}</span>
          <el-input v-model="filters.q" :placeholder="t('users.search')" clearable style="width: 160px"
                    name="q" @keyup.enter="list.search" @clear="list.search" />
          <el-select v-model="filters.under" :placeholder="t('users.orgFilter')" clearable filterable
                     style="width: 200px" class="cb-users-org-filter" @change="list.search">
            <el-option v-for="org in orgs" :key="org.code" :label="org.label" :value="org.code" />
          </el-select>
          <el-select v-model="filters.role" :placeholder="t('users.roleFilter')" clearable style="width: 150px"
                     @change="list.search">
            <el-option v-for="role in roles" :key="role.code" :label="role.name" :value="role.code" />
          </el-select>
          <el-select v-model="filters.active" style="width: 100px" @change="list.search">
            <el-option :label="t('admin.all')" value="all" />
            <el-option :label="t('admin.active')" value="true" />
            <el-option :label="t('admin.inactive')" value="false" />
          </el-select>
          <el-button @click="list.search">{{ t('admin.search') }}</el-button>
          <span class="cb-spacer"></span>
          <el-button type="primary" @click="openNew">{{ t('users.new') }}</el-button>
        </div>
        <el-table :data="list.state.items" v-loading="list.state.loading" :empty-text="t('common.none')"
                  stripe class="cb-users-table">
          <el-table-column prop="username" :label="t('users.username')" width="120" />
          <el-table-column prop="display_name" :label="t('users.displayName')" min-width="150" />
          <el-table-column prop="post" :label="t('users.post')" width="110" />
          <el-table-column :label="t('users.orgs')" min-width="150">
            <template #default="{ row }">
              <div v-for="m in row.memberships" :key="m.org">{{ m.org_name || m.org }}<span v-if="m.is_primary && row.memberships.length > 1" class="cb-muted">（{{ t('users.primary') }}）</span></div>
            </template>
          </el-table-column>
          <el-table-column :label="t('users.roles')" min-width="150">
            <template #default="{ row }">
              <el-tag v-for="code in row.roles" :key="code" size="small" style="margin: 1px 4px 1px 0">{{ roleNames[code] || code }}</el-tag>
            </template>
          </el-table-column>
          <el-table-column :label="t('admin.state')" width="80">
            <template #default="{ row }">
              <el-tag :type="row.is_active ? 'success' : 'info'" size="small">{{ row.is_active ? t('admin.active') : t('admin.inactive') }}</el-tag>
            </template>
          </el-table-column>
          <el-table-column :label="t('common.actions')" width="190" fixed="right">
            <template #default="{ row }">
              <el-button link type="primary" @click="openEdit(row)">{{ t('admin.edit') }}</el-button>
              <el-button v-if="row.is_active" link type="warning" @click="openHandOver(row)">{{ t('users.handOver') }}</el-button>
              <el-button v-if="row.is_active" link type="danger" @click="setActive(row, false)">{{ t('admin.disable') }}</el-button>
              <el-button v-else link type="success" @click="setActive(row, true)">{{ t('admin.enable') }}</el-button>
            </template>
          </el-table-column>
        </el-table>
        <paging :list="list" />
      </div>

      <el-dialog v-model="dialog.open" :title="dialog.editing ? t('users.editTitle', { name: dialog.editing.display_name }) : t('users.new')"
                 width="560px" class="cb-user-dialog" :close-on-click-modal="false">
        <el-form label-width="84px" @submit.prevent>
          <el-form-item :label="t('users.username')" :error="errors.fields.username" required>
            <el-input v-model="dialog.form.username" name="username" :disabled="!!dialog.editing" />
          </el-form-item>
          <el-form-item :label="t('users.displayName')" :error="errors.fields.display_name" required>
            <el-input v-model="dialog.form.display_name" name="display_name" />
          </el-form-item>
          <el-form-item :label="dialog.editing ? t('users.newPassword') : t('users.password')" :error="errors.fields.password"
                        :required="!dialog.editing">
            <el-input v-model="dialog.form.password" name="password" type="password" show-password autocomplete="new-password"
                      :placeholder="dialog.editing ? t('users.newPasswordHint') : t('users.passwordHint')" />
          </el-form-item>
          <el-form-item :label="t('users.post')" :error="errors.fields.post">
            <el-input v-model="dialog.form.post" name="post" />
          </el-form-item>
          <el-form-item :label="t('users.phone')" :error="errors.fields.phone">
            <el-input v-model="dialog.form.phone" name="phone" />
          </el-form-item>
          <el-form-item :label="t('users.email')" :error="errors.fields.email">
            <el-input v-model="dialog.form.email" name="email" />
          </el-form-item>
          <el-form-item :label="t('users.orgs')" :error="errors.fields.memberships">
            <el-select v-model="dialog.form.orgs" multiple filterable class="cb-user-orgs" style="width: 100%">
              <el-option v-for="org in orgs" :key="org.code" :label="org.label" :value="org.code" :disabled="!org.is_active" />
            </el-select>
          </el-form-item>
          <el-form-item v-if="dialog.form.orgs.length > 1" :label="t('users.primary')">
            <el-radio-group v-model="dialog.form.primary">
              <el-radio v-for="code in dialog.form.orgs" :key="code" :value="code">{{ (orgs.find(o => o.code === code) || {}).name || code }}</el-radio>
            </el-radio-group>
          </el-form-item>
          <el-form-item :label="t('users.roles')" :error="errors.fields.roles">
            <el-select v-model="dialog.form.roles" multiple filterable class="cb-user-roles" style="width: 100%">
              <el-option v-for="role in roles" :key="role.code" :label="role.name" :value="role.code" />
            </el-select>
          </el-form-item>
        </el-form>
        <form-errors :errors="errors" />
        <template #footer>
          <el-button @click="dialog.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="dialog.saving" @click="save">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>

      <el-dialog v-model="handOver.open" :title="t('users.handOver') + (handOver.user ? '：' + handOver.user.display_name : '')"
                 width="460px" class="cb-handover-dialog">
        <el-form label-width="72px" @submit.prevent>
          <el-form-item :label="t('users.handOverTo')" :error="handOverErrors.fields.to" required>
            <el-select v-model="handOver.to" filterable remote :remote-method="searchPeople" style="width: 100%"
                       @focus="searchPeople('')">
              <el-option v-for="u in handOver.candidates" :key="u.username" :label="u.display_name + '（' + u.username + '）'" :value="u.username" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('users.reason')" :error="handOverErrors.fields.reason" required>
            <el-input v-model="handOver.reason" type="textarea" name="reason" />
          </el-form-item>
        </el-form>
        <form-errors :errors="handOverErrors" />
        <template #footer>
          <el-button @click="handOver.open = false">{{ t('common.cancel') }}</el-button>
          <el-button type="primary" :loading="handOver.saving" @click="submitHandOver">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>
    </admin-layout>`,
};

mountAdminPage('users', UsersPage);
