// API 令牌: tokens for API callers with scopes and an expiry. The secret is shown once, right after creation.
import { onMounted, reactive, ref } from 'vue';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { attempt, confirmAction, mountAdminPage, useErrors, usePaged } from './layout.js';

addMessages({
  zh: {
    'tokens.name': '名称', 'tokens.user': '所属用户', 'tokens.scopes': '权限范围', 'tokens.allScopes': '该用户的全部权限',
    'tokens.expires': '有效期（天）', 'tokens.expiresAt': '到期时间', 'tokens.createdAt': '创建时间', 'tokens.new': '新建令牌',
    'tokens.revoke': '吊销', 'tokens.confirmRevoke': '吊销令牌“{name}”？使用它的调用方将立即无法访问。',
    'tokens.created': '令牌已创建', 'tokens.once': '请立即复制保存：令牌只显示这一次，关闭后无法再次查看。',
    'tokens.copy': '复制', 'tokens.copied': '已复制',
  },
  en: {
    'tokens.name': 'Name', 'tokens.user': 'User', 'tokens.scopes': 'Scopes', 'tokens.allScopes': 'all of the user\'s permissions',
    'tokens.expires': 'Valid for (days)', 'tokens.expiresAt': 'Expires', 'tokens.createdAt': 'Created', 'tokens.new': 'New token',
    'tokens.revoke': 'Revoke', 'tokens.confirmRevoke': 'Revoke "{name}"? Callers using it are refused at once.',
    'tokens.created': 'Token created', 'tokens.once': 'Copy it now: the token is shown only this once.',
    'tokens.copy': 'Copy', 'tokens.copied': 'Copied',
  },
});

function useCreate(reload) {
  const dialog = reactive({ open: false, saving: false, secret: '', users: [],
    form: { username: '', name: '', all: false, scopes: [], expires_in_days: 90 } });
  const errors = useErrors(['username', 'name', 'scopes', 'expires_in_days']);
  async function searchUsers(q) {
    dialog.users = (await api.page('/users', { q: q || undefined, active: true, page_size: 30 })).items;
  }
  function open() {
    Object.assign(dialog, { open: true, secret: '', form: { username: '', name: '', all: false, scopes: [], expires_in_days: 90 } });
    errors.clear();
    searchUsers('');
  }
  async function save() {
    const { username, name, all, scopes, expires_in_days: days } = dialog.form;
    dialog.saving = true;
    errors.clear();
    try {
      const created = await api.post('/tokens', { username, name, scopes: all ? ['*'] : scopes, expires_in_days: days });
      dialog.secret = created.token;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  return { dialog, errors, openCreate: open, saveToken: save, searchUsers };
}

const TokensPage = {
  setup() {
    const list = usePaged('/tokens');
    const catalog = ref([]);
    async function revoke(row) {
      if (!await confirmAction(t('tokens.confirmRevoke', row))) return;
      await attempt(() => api.delete(`/tokens/${row.id}`), t('admin.done'));
      list.load();
    }
    async function copy(text) {
      await attempt(() => navigator.clipboard.writeText(text), t('tokens.copied'));
    }
    onMounted(async () => {
      list.load();
      catalog.value = await api.get('/permissions');
    });
    return { list, catalog, revoke, copy, ...useCreate(list.load) };
  },
  template: `
    <admin-layout page="tokens">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.tokens') }}</span>
          <span class="cb-spacer"></span>
          <el-button type="primary" @click="openCreate">{{ t('tokens.new') }}</el-button>
        </div>
        <el-table :data="list.state.items" v-loading="list.state.loading" :empty-text="t('common.none')" class="cb-tokens-table">
          <el-table-column prop="name" :label="t('tokens.name')" min-width="140" />
          <el-table-column prop="username" :label="t('tokens.user')" width="120" />
          <el-table-column :label="t('tokens.scopes')" min-width="220">
            <template #default="{ row }"><span class="cb-admin-desc">{{ row.scopes.includes('*') ? t('tokens.allScopes') : row.scopes.join(', ') }}</span></template>
          </el-table-column>
          <el-table-column :label="t('tokens.createdAt')" width="170"><template #default="{ row }">{{ formatDateTime(row.created_at) }}</template></el-table-column>
          <el-table-column :label="t('tokens.expiresAt')" width="170"><template #default="{ row }">{{ formatDateTime(row.expires_at) }}</template></el-table-column>
          <el-table-column :label="t('common.actions')" width="80">
            <template #default="{ row }"><el-button link type="danger" @click="revoke(row)">{{ t('tokens.revoke') }}</el-button></template>
          </el-table-column>
        </el-table>
        <paging :list="list" />
      </div>

      <el-dialog v-model="dialog.open" :title="t('tokens.new')" width="640px" class="cb-token-dialog" :close-on-click-modal="false">
        <div v-if="dialog.secret" class="cb-token-secret">
          <el-alert type="warning" :title="t('tokens.once')" :closable="false" style="margin-bottom: 12px" />
          <div class="cb-admin-token">{{ dialog.secret }}</div>
          <el-button size="small" style="margin-top: 8px" @click="copy(dialog.secret)">{{ t('tokens.copy') }}</el-button>
        </div>
        <el-form v-else label-width="110px" @submit.prevent>
          <el-form-item :label="t('tokens.name')" :error="errors.fields.name" required><el-input v-model="dialog.form.name" name="name" /></el-form-item>
          <el-form-item :label="t('tokens.user')" :error="errors.fields.username" required>
            <el-select v-model="dialog.form.username" filterable remote :remote-method="searchUsers" style="width: 100%">
              <el-option v-for="u in dialog.users" :key="u.username" :value="u.username" :label="u.display_name + '（' + u.username + '）'" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('tokens.scopes')" :error="errors.fields.scopes" required>
            <el-checkbox v-model="dialog.form.all">{{ t('tokens.allScopes') }}</el-checkbox>
            <el-select v-if="!dialog.form.all" v-model="dialog.form.scopes" multiple filterable style="width: 100%">
              <el-option v-for="p in catalog" :key="p.code" :value="p.code" :label="p.name + '（' + p.code + '）'" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('tokens.expires')" :error="errors.fields.expires_in_days">
            <el-input-number v-model="dialog.form.expires_in_days" :min="1" :max="3650" />
          </el-form-item>
        </el-form>
        <form-errors :errors="errors" />
        <template #footer>
          <el-button @click="dialog.open = false">{{ dialog.secret ? t('common.ok') : t('common.cancel') }}</el-button>
          <el-button v-if="!dialog.secret" type="primary" :loading="dialog.saving" @click="saveToken">{{ t('admin.save') }}</el-button>
        </template>
      </el-dialog>
    </admin-layout>`,
};

mountAdminPage('tokens', TokensPage);
