// 统计考核: the party report (GET /evaluation/report, the formula beside every figure, drill-down to the
// cases behind each number, Excel export), the composite scores as a bar chart (window.echarts), public
// satisfaction (GET /evaluation/satisfaction) and the process heat map (GET /evaluation/heatmap).
import { computed, createApp, nextTick, onMounted, reactive, ref, watch } from 'vue';
import { api, ApiError, requireLogin, token } from './api.js';
import { addMessages, installI18n, t } from './i18n.js';
import { AppShell } from './shell.js';
import { HeatmapView } from './stats-heatmap.js';

addMessages({
  zh: {
    'st.title': '统计考核', 'st.party': '考核对象', 'st.period': '统计期间', 'st.month': '月', 'st.quarter': '季度',
    'st.year': '年', 'st.custom': '自定义', 'st.refresh': '查询', 'st.report': '绩效考核', 'st.excel': '导出 Excel',
    'st.name': '名称', 'st.score': '综合得分', 'st.grade': '等级', 'st.noReport': '暂无考核报表（报表接口不可用或本期无数据）',
    'st.composite': '综合得分公式', 'st.cases': '案件明细', 'st.caseNo': '案件编号', 'st.satisfaction': '公众满意度（回访）',
    'st.byDepartment': '按专业部门', 'st.byDistrict': '按区域', 'st.surveyed': '回访数', 'st.satisfied': '满意',
    'st.basically': '基本满意', 'st.dissatisfied': '不满意', 'st.rate': '满意率', 'st.noData': '本期无数据',
    'st.heatmap': '流程热力图', 'st.passed': '经过', 'st.median': '中位', 'st.overdue': '超时',
    'st.heatHelp': '每个节点：经过数 · 中位用时（工作时）· 超时占比；颜色越红超时越多',
    'st.numerator': '分子', 'st.denominator': '分母', 'st.total': '合计',
  },
  en: {
    'st.title': 'Statistics', 'st.party': 'Party', 'st.period': 'Period', 'st.month': 'Month', 'st.quarter': 'Quarter',
    'st.year': 'Year', 'st.custom': 'Custom', 'st.refresh': 'Query', 'st.report': 'Evaluation', 'st.excel': 'Excel',
    'st.name': 'Name', 'st.score': 'Score', 'st.grade': 'Grade', 'st.noReport': 'No report (the report API is unavailable or the period is empty)',
    'st.composite': 'Composite formula', 'st.cases': 'Cases', 'st.caseNo': 'Case no.', 'st.satisfaction': 'Public satisfaction (revisits)',
    'st.byDepartment': 'By department', 'st.byDistrict': 'By district', 'st.surveyed': 'Revisits', 'st.satisfied': 'Satisfied',
    'st.basically': 'Basically satisfied', 'st.dissatisfied': 'Dissatisfied', 'st.rate': 'Satisfaction rate', 'st.noData': 'No data',
    'st.heatmap': 'Process heat map', 'st.passed': 'passed', 'st.median': 'median', 'st.overdue': 'overdue',
    'st.heatHelp': 'Per node: passed · median working hours · overdue share; redder means more overdue',
    'st.numerator': 'numerator', 'st.denominator': 'denominator', 'st.total': 'Total',
  },
});

const pad = (n) => String(n).padStart(2, '0');
const lastDay = (y, m) => new Date(y, m, 0).getDate();  // m: 1..12

export function periodQuery(p) {
  if (p.type === 'month' && p.month) return { month: p.month };
  if (p.type === 'quarter') {
    const first = (p.quarter - 1) * 3 + 1;
    const last = first + 2;
    return { from: `${p.year}-${pad(first)}-01`, to: `${p.year}-${pad(last)}-${lastDay(p.year, last)}` };
  }
  if (p.type === 'year') return { from: `${p.year}-01-01`, to: `${p.year}-12-31` };
  if (p.type === 'custom' && p.range && p.range.length === 2) return { from: p.range[0], to: p.range[1] };
  return {};
}

const percent = (v) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`);
// rates (codes ending in _rate) as percentages, counts as they are
const figure = (v, code = '') => (v == null ? '—' : (code.endsWith('_rate') ? percent(v) : v));

const StatsPage = {
  components: { AppShell },
  setup() {
    const now = new Date();
    // month '' at first: the server's current month (its clock, which may be virtual), then shown in the picker
    const period = reactive({ type: 'month', month: '',
      year: now.getFullYear(), quarter: Math.floor(now.getMonth() / 3) + 1, range: [] });
    const parties = ref([]);
    const party = ref('department');
    const report = ref(null);
    const reportError = ref('');
    const group = ref('department');
    const satisfaction = ref(null);
    const heat = ref(null);
    const drill = reactive({ open: false, title: '', rows: [], loading: false });
    const scoreChart = ref(null);
    const satisfactionChart = ref(null);
    const heatmapEl = ref(null);
    let heatView = null;
    const charts = {};

    const query = computed(() => periodQuery(period));
    const partyName = (p) => (document.documentElement.lang === 'en' ? p.name_en : p.name_zh) || p.party;

    function bar(el, key, names, values, name) {
      if (!el || !window.echarts) return;
      charts[key] = charts[key] || window.echarts.init(el);
      charts[key].setOption({
        animation: false, tooltip: {}, grid: { left: 40, right: 10, top: 20, bottom: 60 },
        xAxis: { type: 'category', data: names, axisLabel: { rotate: names.length > 6 ? 30 : 0 } },
        yAxis: { type: 'value' }, series: [{ type: 'bar', name, data: values, itemStyle: { color: '#409eff' } }],
      }, true);
    }

    async function loadReport() {
      reportError.value = '';
      try {
        report.value = await api.get('/evaluation/report', { party: party.value, ...query.value });
      } catch (error) {
        report.value = null;
        reportError.value = error instanceof ApiError ? (error.problem?.detail || error.message) : String(error);
      }
      await nextTick();
      const rows = report.value ? report.value.rows : [];
      bar(scoreChart.value, 'score', rows.map((r) => r.name), rows.map((r) => r.score), t('st.score'));
    }

    async function loadSatisfaction() {
      try {
        satisfaction.value = await api.get('/evaluation/satisfaction', { group: group.value, ...query.value });
        if (!period.month && satisfaction.value.period) {
          const [y, m] = satisfaction.value.period.from.split('-').map(Number);
          Object.assign(period, { month: `${y}-${pad(m)}`, year: y, quarter: Math.floor((m - 1) / 3) + 1 });
        }
      } catch (error) {
        satisfaction.value = null;
      }
      await nextTick();
      const rows = satisfaction.value ? satisfaction.value.rows : [];
      bar(satisfactionChart.value, 'satisfaction', rows.map((r) => r.name),
        rows.map((r) => (r.satisfaction_rate == null ? null : +(r.satisfaction_rate * 100).toFixed(1))), t('st.rate'));
    }

    async function loadHeatmap() {
      try {
        heat.value = await api.get('/evaluation/heatmap', { process_key: 'closed_loop', ...query.value });
      } catch (error) {
        heat.value = null;
        return;
      }
      await nextTick();
      if (!heatView && heatmapEl.value) heatView = new HeatmapView(heatmapEl.value);
      if (heatView) {
        await heatView.show(heat.value.xml, heat.value.nodes, {
          passed: t('st.passed'), median: t('st.median'), overdue: t('st.overdue'), formula: heat.value.formula,
        });
      }
    }

    function refresh() {
      return Promise.all([loadReport(), loadSatisfaction(), loadHeatmap()]);
    }

    async function openCases(row, code, part) {
      const indicator = report.value.indicators.find((i) => i.code === code);
      drill.title = `${row.name} · ${indicator ? indicator.name : code} · ${t(`st.${part}`)}`;
      drill.open = true;
      drill.loading = true;
      try {
        const found = await api.get('/evaluation/cases', { party: party.value, key: row.key, indicator: code, part,
          ...query.value });
        drill.rows = Array.isArray(found) ? found : (found && (found.cases || found.items)) || [];
      } catch (error) {
        drill.rows = [];
      } finally {
        drill.loading = false;
      }
    }

    async function downloadExcel() {
      const url = new URL('/api/v1/evaluation/report.xlsx', location.origin);
      for (const [k, v] of Object.entries({ party: party.value, ...query.value })) url.searchParams.set(k, v);
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
      if (!response.ok) return;
      const link = document.createElement('a');
      link.href = URL.createObjectURL(await response.blob());
      link.download = `evaluation-${party.value}.xlsx`;
      link.click();
    }

    watch(group, loadSatisfaction);
    onMounted(async () => {
      try {
        parties.value = (await api.get('/evaluation/weights')).parties || [];
      } catch (error) {
        parties.value = [];
      }
      await loadSatisfaction();  // first: it fixes the month the others use
      await Promise.all([loadReport(), loadHeatmap()]);
    });

    return { t, period, parties, party, partyName, report, reportError, group, satisfaction, heat, drill,
      scoreChart, satisfactionChart, heatmapEl, refresh, loadReport, openCases, downloadExcel, percent, figure };
  },
  template: `
    <app-shell active="stats">
      <div class="cb-stats">
        <div class="cb-stats-filters">
          <el-select v-model="party" class="cb-stats-party" :placeholder="t('st.party')" @change="loadReport">
            <el-option v-for="p in parties" :key="p.party" :label="partyName(p)" :value="p.party" />
          </el-select>
          <el-radio-group v-model="period.type" size="small">
            <el-radio-button value="month">{{ t('st.month') }}</el-radio-button>
            <el-radio-button value="quarter">{{ t('st.quarter') }}</el-radio-button>
            <el-radio-button value="year">{{ t('st.year') }}</el-radio-button>
            <el-radio-button value="custom">{{ t('st.custom') }}</el-radio-button>
          </el-radio-group>
          <el-date-picker v-if="period.type === 'month'" v-model="period.month" type="month" value-format="YYYY-MM" :clearable="false" />
          <template v-if="period.type === 'quarter' || period.type === 'year'">
            <el-input-number v-model="period.year" :min="2000" :max="2100" controls-position="right" />
            <el-select v-if="period.type === 'quarter'" v-model="period.quarter" style="width: 90px">
              <el-option v-for="q in 4" :key="q" :label="'Q' + q" :value="q" />
            </el-select>
          </template>
          <el-date-picker v-if="period.type === 'custom'" v-model="period.range" type="daterange" value-format="YYYY-MM-DD" />
          <el-button type="primary" @click="refresh">{{ t('st.refresh') }}</el-button>
        </div>

        <el-card class="cb-stats-report">
          <template #header>
            <span>{{ t('st.report') }}<template v-if="report"> · {{ report.party_name }} · {{ report.period.from }} ~ {{ report.period.to }}</template></span>
            <el-button v-if="report" size="small" class="cb-stats-excel" @click="downloadExcel">{{ t('st.excel') }}</el-button>
          </template>
          <el-empty v-if="!report" class="cb-stats-report-empty" :description="t('st.noReport')" />
          <template v-else>
            <p class="cb-formula">{{ t('st.composite') }}：{{ report.composite_formula }}</p>
            <el-table :data="report.rows" size="small" class="cb-stats-report-table" border>
              <el-table-column prop="name" :label="t('st.name')" min-width="120" fixed />
              <el-table-column v-for="ind in report.indicators" :key="ind.code" min-width="130">
                <template #header><span :title="ind.formula">{{ ind.name }}</span><div class="cb-formula">{{ ind.formula }}</div></template>
                <template #default="{ row }">
                  <template v-if="row.indicators[ind.code]">
                    <a class="cb-stats-num" :title="ind.formula" @click="openCases(row, ind.code, 'numerator')">{{ figure(row.indicators[ind.code].value, ind.code) }}</a>
                    <div class="cb-formula">
                      <a @click="openCases(row, ind.code, 'numerator')">{{ row.indicators[ind.code].numerator }}</a>
                      <template v-if="row.indicators[ind.code].denominator != null"> / <a @click="openCases(row, ind.code, 'denominator')">{{ row.indicators[ind.code].denominator }}</a></template>
                    </div>
                  </template>
                </template>
              </el-table-column>
              <el-table-column prop="score" :label="t('st.score')" width="90" />
              <el-table-column prop="grade" :label="t('st.grade')" width="70" />
            </el-table>
          </template>
          <div ref="scoreChart" class="cb-stats-chart" v-show="report && report.rows.length"></div>
        </el-card>

        <el-card class="cb-stats-satisfaction">
          <template #header>
            <span>{{ t('st.satisfaction') }}</span>
            <el-radio-group v-model="group" size="small">
              <el-radio-button value="department">{{ t('st.byDepartment') }}</el-radio-button>
              <el-radio-button value="district">{{ t('st.byDistrict') }}</el-radio-button>
            </el-radio-group>
          </template>
          <p v-if="satisfaction" class="cb-formula">{{ satisfaction.formula }}</p>
          <el-table :data="satisfaction ? satisfaction.rows : []" size="small" class="cb-satisfaction-table" :empty-text="t('st.noData')">
            <el-table-column prop="name" :label="t('st.name')" min-width="120" />
            <el-table-column prop="surveyed" :label="t('st.surveyed')" />
            <el-table-column prop="satisfied" :label="t('st.satisfied')" />
            <el-table-column prop="basically_satisfied" :label="t('st.basically')" />
            <el-table-column prop="dissatisfied" :label="t('st.dissatisfied')" />
            <el-table-column :label="t('st.rate')">
              <template #default="{ row }"><span :title="satisfaction.formula">{{ percent(row.satisfaction_rate) }}</span></template>
            </el-table-column>
          </el-table>
          <div ref="satisfactionChart" class="cb-stats-chart" v-show="satisfaction && satisfaction.rows.length"></div>
        </el-card>

        <el-card class="cb-stats-heatmap">
          <template #header><span>{{ t('st.heatmap') }}<template v-if="heat"> · {{ heat.process_key }} v{{ heat.version }}</template></span></template>
          <p class="cb-formula">{{ t('st.heatHelp') }}<template v-if="heat">（{{ heat.formula }}）</template></p>
          <div ref="heatmapEl" class="cb-heatmap-canvas"></div>
        </el-card>

        <el-dialog v-model="drill.open" :title="drill.title" width="640px">
          <el-table :data="drill.rows" v-loading="drill.loading" size="small" max-height="420" :empty-text="t('st.noData')">
            <el-table-column :label="t('st.caseNo')">
              <template #default="{ row }"><a :href="'/cases/case.html?case_no=' + encodeURIComponent(row.case_no || row)">{{ row.case_no || row }}</a></template>
            </el-table-column>
            <el-table-column prop="address" />
          </el-table>
        </el-dialog>
      </div>
    </app-shell>`,
};

if (requireLogin()) {
  document.title = `${t('st.title')} · citybpm`;
  installI18n(createApp(StatsPage)).mount('#app');
}
