// 应用维护 overview: one tile per admin page with what it is for.
import { addMessages } from '../i18n.js';
import { ADMIN_PAGES, mountAdminPage } from './layout.js';

addMessages({
  zh: {
    'adminIndex.orgs': '机构树：区、街道、专业部门及下属班组，领导与所辖网格',
    'adminIndex.users': '人员、岗位、所属机构、角色；停用与离职转办',
    'adminIndex.roles': '角色的权限与数据范围（本人、本机构、本机构及下级、全部）',
    'adminIndex.process': '各环节的办理人策略、兜底、允许的操作与时限；版本停用/启用',
    'adminIndex.settings': '案件编号格式、预警比例、编码位数等系统参数',
    'adminIndex.catalog': '部件/事件大类小类、立结案标准、处置时限与单元网格',
    'adminIndex.calendars': '作息时间、季节、节假日与调休，时限试算',
    'adminIndex.tokens': '为接口调用方签发限定权限和有效期的令牌',
    'adminIndex.audit': '配置、人员、权限的每一次修改：谁、何时、修改前后',
  },
  en: {
    'adminIndex.orgs': 'The organisation tree: districts, streets, departments and teams, leaders and grids',
    'adminIndex.users': 'People, posts, organisations, roles; disable and hand over',
    'adminIndex.roles': 'Each role\'s permissions and data scope',
    'adminIndex.process': 'Per node: candidates, fallback, operations, time limit; suspend versions',
    'adminIndex.settings': 'Case-number pattern, warning share, code lengths and other parameters',
    'adminIndex.catalog': 'Part/event categories, filing and closing standards, time limits and grids',
    'adminIndex.calendars': 'Working hours, seasons, holidays and 调休, a due-time check',
    'adminIndex.tokens': 'Tokens for API callers with scopes and an expiry',
    'adminIndex.audit': 'Every change to configuration, people and permissions: who, when, before, after',
  },
});

const IndexPage = {
  setup: () => ({ pages: ADMIN_PAGES.filter(([key]) => key !== 'index') }),
  template: `
    <admin-layout page="index">
      <div class="cb-tiles">
        <a v-for="[key, label] in pages" :key="key" class="cb-card cb-tile" :href="'/admin/' + key + '.html'">
          <h3>{{ t(label) }}</h3>
          <div class="cb-muted">{{ t('adminIndex.' + key) }}</div>
        </a>
      </div>
    </admin-layout>`,
};

mountAdminPage('index', IndexPage);
