// 工作日历: a calendar's seasons and weekly windows, its holiday/调休 overrides for a year, and a due-time check.
import { onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, formatDateTime, t } from '../i18n.js';
import { attempt, confirmAction, fetchAll, mountAdminPage, useErrors } from './layout.js';

const UNITS = ['urgent_hours', 'work_hours', 'work_days', 'natural_days'];
const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

addMessages({
  zh: {
    'cal.calendar': '日历', 'cal.default': '默认', 'cal.hours': '每工作日工时', 'cal.timezone': '时区',
    'cal.seasons': '季节作息', 'cal.seasonsHint': 'JSON：[{name, start: "MM-DD", end: "MM-DD", windows: {"1": [["08:30","12:00"], …]}}]，须覆盖全年',
    'cal.saveSeasons': '保存作息', 'cal.current': '当前季节', 'cal.days': '节假日与调休', 'cal.year': '年份',
    'cal.day': '日期', 'cal.weekday': '星期', 'cal.kind': '类型', 'cal.kind.holiday': '休息', 'cal.kind.workday': '上班（调休）',
    'cal.source': '来源', 'cal.source.seed': '节假日数据', 'cal.source.admin': '人工设置', 'cal.name': '说明',
    'cal.addDay': '设置某日', 'cal.clear': '删除设置', 'cal.confirmClear': '删除 {day} 的人工设置？',
    'cal.compute': '时限试算', 'cal.start': '开始时间', 'cal.amount': '时长', 'cal.unit': '单位', 'cal.run': '试算',
    'cal.due': '到期时间：{due}', 'cal.badJson': '不是有效的 JSON', 'cal.makeDefault': '设为默认',
    'cal.unit.urgent_hours': '紧急工作时', 'cal.unit.work_hours': '工作时', 'cal.unit.work_days': '工作日',
    'cal.unit.natural_days': '自然日',
  },
  en: {
    'cal.calendar': 'Calendar', 'cal.default': 'Default', 'cal.hours': 'Hours per work day', 'cal.timezone': 'Time zone',
    'cal.seasons': 'Seasons', 'cal.seasonsHint': 'JSON: [{name, start: "MM-DD", end: "MM-DD", windows: {"1": [["08:30","12:00"], …]}}], covering the year',
    'cal.saveSeasons': 'Save seasons', 'cal.current': 'Current season', 'cal.days': 'Holidays and 调休', 'cal.year': 'Year',
    'cal.day': 'Date', 'cal.weekday': 'Weekday', 'cal.kind': 'Kind', 'cal.kind.holiday': 'Day off',
    'cal.kind.workday': 'Working day (调休)', 'cal.source': 'Source', 'cal.source.seed': 'Holiday data',
    'cal.source.admin': 'Set by an admin', 'cal.name': 'Note', 'cal.addDay': 'Set a day', 'cal.clear': 'Clear',
    'cal.confirmClear': 'Clear the override of {day}?', 'cal.compute': 'Check a due time', 'cal.start': 'Start',
    'cal.amount': 'Amount', 'cal.unit': 'Unit', 'cal.run': 'Compute', 'cal.due': 'Due: {due}',
    'cal.badJson': 'Not valid JSON', 'cal.makeDefault': 'Make default',
    'cal.unit.urgent_hours': 'urgent working hours', 'cal.unit.work_hours': 'working hours',
    'cal.unit.work_days': 'working days', 'cal.unit.natural_days': 'calendar days',
  },
});

function useDays(code) {
  const days = reactive({ year: new Date().getFullYear(), rows: [], loading: false,
    form: { day: '', kind: 'holiday', name: '' } });
  const errors = useErrors(['day', 'kind', 'name']);
  async function load() {
    days.loading = true;
    try {
      days.rows = await api.get(`/calendars/${encodeURIComponent(code.value)}/days`,
        { start: `${days.year}-01-01`, end: `${days.year}-12-31` });
    } catch (error) {
      ElMessage.error(error.message);
    } finally {
      days.loading = false;
    }
  }
  async function setDay() {
    errors.clear();
    try {
      await api.put(`/calendars/${encodeURIComponent(code.value)}/days/${days.form.day}`,
        { kind: days.form.kind, name: days.form.name });
      ElMessage.success(t('admin.saved'));
      load();
    } catch (error) {
      errors.capture(error);
    }
  }
  async function clearDay(row) {
    if (!await confirmAction(t('cal.confirmClear', { day: row.day }))) return;
    await attempt(() => api.delete(`/calendars/${encodeURIComponent(code.value)}/days/${row.day}`), t('admin.done'));
    load();
  }
  return { days, dayErrors: errors, loadDays: load, setDay, clearDay };
}

function useCompute(code) {
  const check = reactive({ start: new Date().toISOString(), amount: 1, unit: 'work_days', due: '' });
  const errors = useErrors(['start', 'amount', 'unit']);
  async function run() {
    errors.clear();
    check.due = '';
    try {
      const result = await api.post(`/calendars/${encodeURIComponent(code.value)}/compute`,
        { start: new Date(check.start).toISOString(), amount: check.amount, unit: check.unit });
      check.due = formatDateTime(result.due);
    } catch (error) {
      errors.capture(error);
    }
  }
  return { check, checkErrors: errors, runCheck: run };
}

const CalendarsPage = {
  setup() {
    const calendars = ref([]);
    const code = ref('');
    const detail = ref(null);
    const seasonsText = ref('');
    const seasonErrors = useErrors(['seasons', 'windows', 'hours_per_work_day', 'name', 'timezone']);
    const days = useDays(code);

    async function select() {
      detail.value = await api.get(`/calendars/${encodeURIComponent(code.value)}`);
      // one season per line: readable at 1366×768 without scrolling through every window
      seasonsText.value = `[\n${detail.value.seasons.map((season) => JSON.stringify(season)).join(',\n')}\n]`;
      seasonErrors.clear();
      days.loadDays();
    }
    async function saveDetail() {
      seasonErrors.clear();
      let seasons;
      try { seasons = JSON.parse(seasonsText.value); } catch { seasonErrors.fields.seasons = t('cal.badJson'); return; }
      try {
        const path = `/calendars/${encodeURIComponent(code.value)}`;
        const { name, hours_per_work_day: hours, timezone } = detail.value;
        await api.patch(path, { name, hours_per_work_day: hours, timezone });
        await api.put(`${path}/seasons`, { seasons });
        ElMessage.success(t('admin.saved'));
        select();
      } catch (error) {
        seasonErrors.capture(error);
      }
    }
    async function makeDefault() {
      await attempt(() => api.patch(`/calendars/${encodeURIComponent(code.value)}`, { is_default: true }), t('admin.done'));
      calendars.value = await fetchAll('/calendars');
      select();
    }
    onMounted(async () => {
      calendars.value = await fetchAll('/calendars');
      code.value = (calendars.value.find((c) => c.is_default) || calendars.value[0] || {}).code || '';
      if (code.value) select();
    });
    return { calendars, code, detail, seasonsText, seasonErrors, select, saveDetail, makeDefault, UNITS, WEEKDAYS,
      ...days, ...useCompute(code) };
  },
  template: `
    <admin-layout page="calendars">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.calendars') }}</span>
          <el-select v-model="code" style="width: 240px" @change="select">
            <el-option v-for="c in calendars" :key="c.code" :value="c.code" :label="c.name + (c.is_default ? '（' + t('cal.default') + '）' : '')" />
          </el-select>
          <el-button v-if="detail && !detail.is_default" @click="makeDefault">{{ t('cal.makeDefault') }}</el-button>
        </div>
        <el-form v-if="detail" label-width="110px" @submit.prevent class="cb-calendar-form">
          <el-form-item :label="t('admin.name')" :error="seasonErrors.fields.name"><el-input v-model="detail.name" style="width: 260px" /></el-form-item>
          <el-form-item :label="t('cal.hours')" :error="seasonErrors.fields.hours_per_work_day">
            <el-input-number v-model="detail.hours_per_work_day" :min="0.5" :max="24" :step="0.5" />
            <span class="cb-muted" style="margin-left: 16px">{{ t('cal.timezone') }}：{{ detail.timezone }} · {{ t('cal.current') }}：{{ detail.current_season }}</span>
          </el-form-item>
          <el-form-item :label="t('cal.seasons')" :error="seasonErrors.fields.seasons || seasonErrors.fields.windows">
            <el-input v-model="seasonsText" type="textarea" :autosize="{ minRows: 4, maxRows: 12 }" class="cb-json" name="seasons" />
            <div class="cb-admin-desc">{{ t('cal.seasonsHint') }}</div>
          </el-form-item>
          <form-errors :errors="seasonErrors" />
          <el-form-item><el-button type="primary" @click="saveDetail">{{ t('cal.saveSeasons') }}</el-button></el-form-item>
        </el-form>
      </div>
      <div class="cb-admin-split" v-if="detail">
        <div class="cb-card">
          <div class="cb-toolbar">
            <span class="cb-title">{{ t('cal.days') }}</span>
            <el-input-number v-model="days.year" :min="2000" :max="2100" size="small" @change="loadDays" />
          </div>
          <el-form inline @submit.prevent class="cb-calendar-day-form">
            <el-form-item :error="dayErrors.fields.day"><el-date-picker v-model="days.form.day" type="date" value-format="YYYY-MM-DD" :placeholder="t('cal.day')" style="width: 150px" /></el-form-item>
            <el-form-item :error="dayErrors.fields.kind">
              <el-select v-model="days.form.kind" style="width: 130px">
                <el-option value="holiday" :label="t('cal.kind.holiday')" /><el-option value="workday" :label="t('cal.kind.workday')" />
              </el-select>
            </el-form-item>
            <el-form-item :error="dayErrors.fields.name"><el-input v-model="days.form.name" :placeholder="t('cal.name')" style="width: 140px" /></el-form-item>
            <el-form-item><el-button type="primary" :disabled="!days.form.day" @click="setDay">{{ t('cal.addDay') }}</el-button></el-form-item>
          </el-form>
          <form-errors :errors="dayErrors" />
          <el-table :data="days.rows" v-loading="days.loading" size="small" max-height="360" :empty-text="t('common.none')" class="cb-calendar-days">
            <el-table-column prop="day" :label="t('cal.day')" width="110" />
            <el-table-column :label="t('cal.weekday')" width="70"><template #default="{ row }">{{ WEEKDAYS[row.weekday] }}</template></el-table-column>
            <el-table-column :label="t('cal.kind')" width="120">
              <template #default="{ row }"><el-tag size="small" :type="row.kind === 'holiday' ? 'danger' : 'success'">{{ t('cal.kind.' + row.kind) }}</el-tag></template>
            </el-table-column>
            <el-table-column prop="name" :label="t('cal.name')" min-width="100" />
            <el-table-column :label="t('cal.source')" width="100"><template #default="{ row }">{{ t('cal.source.' + row.source) }}</template></el-table-column>
            <el-table-column :label="t('common.actions')" width="90">
              <template #default="{ row }"><el-button v-if="row.source === 'admin'" link type="danger" @click="clearDay(row)">{{ t('cal.clear') }}</el-button></template>
            </el-table-column>
          </el-table>
        </div>
        <div class="cb-card cb-admin-side">
          <div class="cb-title" style="margin-bottom: 12px">{{ t('cal.compute') }}</div>
          <el-form label-width="70px" @submit.prevent class="cb-calendar-compute">
            <el-form-item :label="t('cal.start')" :error="checkErrors.fields.start"><el-date-picker v-model="check.start" type="datetime" style="width: 100%" /></el-form-item>
            <el-form-item :label="t('cal.amount')" :error="checkErrors.fields.amount"><el-input-number v-model="check.amount" :min="0" :step="0.5" /></el-form-item>
            <el-form-item :label="t('cal.unit')" :error="checkErrors.fields.unit">
              <el-select v-model="check.unit"><el-option v-for="u in UNITS" :key="u" :value="u" :label="t('cal.unit.' + u)" /></el-select>
            </el-form-item>
            <el-form-item><el-button type="primary" @click="runCheck">{{ t('cal.run') }}</el-button></el-form-item>
          </el-form>
          <form-errors :errors="checkErrors" />
          <div v-if="check.due" class="cb-calendar-due"><b>{{ t('cal.due', { due: check.due }) }}</b></div>
        </div>
      </div>
    </admin-layout>`,
};

mountAdminPage('calendars', CalendarsPage);
