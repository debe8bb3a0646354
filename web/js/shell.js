// The chrome every page shares: brand, the navigation (one list, so pages never drift apart), the user,
// language switch and logout. A page renders <app-shell active="workbench"> … </app-shell>.
import { currentUser, logout } from './api.js';
import { addMessages, t } from './i18n.js';

addMessages({
  zh: {
    'nav.workbench': '工作台', 'nav.report': '问题上报', 'nav.modeler': '流程设计', 'nav.forms': '表单设计',
    'nav.admin': '应用维护', 'nav.stats': '统计考核',
  },
  en: {
    'app.name': 'City operations · workflow', 'nav.home': 'Home', 'nav.inbox': 'My tasks',
    'nav.workbench': 'Workbench', 'nav.report': 'Report', 'nav.modeler': 'Process design',
    'nav.forms': 'Form design', 'nav.admin': 'Administration', 'nav.stats': 'Statistics',
    'nav.logout': 'Log out', 'nav.login': 'Log in',
  },
});

// [key, href, label key]; the admin pages live under /admin/, the case view under /cases/.
export const NAV = [
  ['workbench', '/workbench.html', 'nav.workbench'],
  ['report', '/report.html', 'nav.report'],
  ['modeler', '/designer/modeler.html', 'nav.modeler'],
  ['forms', '/forms/designer.html', 'nav.forms'],
  ['admin', '/admin/index.html', 'nav.admin'],
  ['stats', '/stats/index.html', 'nav.stats'],
];

export const AppShell = {
  name: 'AppShell',
  props: { active: { type: String, default: '' } },
  setup: () => ({ user: currentUser(), logout, nav: NAV, t }),
  template: `
    <div class="cb-page">
      <header class="cb-header">
        <a class="cb-brand" href="/index.html">{{ t('app.name') }}</a>
        <nav class="cb-nav">
          <a v-for="[key, href, label] in nav" :key="key" :href="href" :class="{ active: key === active }">
            {{ t(label) }}</a>
        </nav>
        <span v-if="user" class="cb-user">{{ user.display_name || user.username }}</span>
        <lang-switch />
        <el-button v-if="user" text size="small" @click="logout">{{ t('nav.logout') }}</el-button>
        <a v-else href="/login.html" class="cb-user">{{ t('nav.login') }}</a>
      </header>
      <main class="cb-main"><slot /></main>
    </div>`,
};
