// The login page: POST /api/v1/auth/login, keep the token for this tab, go back where the user came from.
import { createApp, reactive, ref } from 'vue';
import { login, ApiError } from './api.js';
import { installI18n, t } from './i18n.js';

// Only our own pages: `next` comes from the URL, so a crafted link must not send the user elsewhere.
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login.html') ? next : '/index.html';
}

const LoginPage = {
  setup() {
    const credentials = reactive({ username: '', password: '' });
    const busy = ref(false);
    const error = ref('');

    async function submit() {
      if (!credentials.username || !credentials.password) {
        error.value = t('login.required');
        return;
      }
      busy.value = true;
      error.value = '';
      try {
        await login(credentials.username.trim(), credentials.password);
        location.assign(nextPage());
      } catch (failure) {
        error.value = failure instanceof ApiError ? failure.message : String(failure);
      } finally {
        busy.value = false;
      }
    }

    return { credentials, busy, error, submit };
  },
  template: `
    <div class="cb-login">
      <div class="cb-card">
        <h1>{{ t('app.name') }}</h1>
        <h2>{{ t('login.title') }}</h2>
        <el-form label-position="top" @submit.prevent="submit">
          <el-form-item :label="t('login.username')">
            <el-input v-model="credentials.username" name="username" autocomplete="username" autofocus />
          </el-form-item>
          <el-form-item :label="t('login.password')">
            <el-input v-model="credentials.password" name="password" type="password" autocomplete="current-password"
                      show-password @keyup.enter="submit" />
          </el-form-item>
          <el-alert v-if="error" :title="error" type="error" :closable="false" show-icon class="cb-login-error" />
          <el-button type="primary" native-type="submit" :loading="busy" style="width: 100%; margin-top: 12px">
            {{ t('login.submit') }}
          </el-button>
        </el-form>
        <div class="cb-lang-row"><lang-switch /></div>
      </div>
    </div>`,
};

installI18n(createApp(LoginPage)).mount('#app');
