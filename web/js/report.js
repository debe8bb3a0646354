// 问题上报: category (部件/事件, 大类 → 小类 from the catalog), grid and address, description, photos and
// source, started as a closed_loop case. Photos are uploaded one by one when picked (POST /attachments) and
// sent as their refs; the start carries an Idempotency-Key made once per report, so a retry after a lost
// answer returns the same case instead of a second one.
import { createApp, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api, ApiError, requireLogin } from './api.js';
import { addMessages, installI18n, t } from './i18n.js';
import { AppShell } from './shell.js';

addMessages({
  zh: {
    'rp.title': '问题上报', 'rp.kind': '问题类型', 'rp.kind.part': '部件', 'rp.kind.event': '事件',
    'rp.category': '问题类别', 'rp.categoryHint': '大类 / 小类', 'rp.grid': '单元网格', 'rp.gridHint': '选择或输入网格编码',
    'rp.address': '问题地址', 'rp.coords': '坐标（可选）', 'rp.longitude': '经度', 'rp.latitude': '纬度',
    'rp.description': '问题描述', 'rp.photos': '现场照片', 'rp.addPhoto': '添加照片',
    'rp.photoHint': 'JPG / PNG / WebP，每张不超过 {mb} MB，最多 {max} 张', 'rp.badType': '「{name}」不是图片（仅支持 JPG、PNG、WebP）',
    'rp.tooLarge': '「{name}」超过 {mb} MB', 'rp.tooMany': '最多 {max} 张照片', 'rp.uploading': '上传中…',
    'rp.source': '信息来源', 'rp.submit': '上报', 'rp.reset': '重填', 'rp.required': '请填写{label}',
    'rp.refused': '上报未通过校验，请按提示修改', 'rp.reported': '已上报，案件编号 {case_no}',
    'rp.duplicates': '可能的重复案件', 'rp.duplicatesHint': '同一网格、同一小类近期已有以下案件，受理员将判断是否重复：',
    'rp.openCase': '查看本案件', 'rp.remove': '移除', 'rp.caseNo': '案件编号', 'rp.startedAt': '上报时间',
    'source.supervisor': '监督员上报', 'source.hotline_12345': '12345 热线', 'source.hotline_12319': '12319 热线',
    'source.wechat': '微信公众号', 'source.video_ai': '视频智能识别', 'source.iot': '物联感知',
  },
  en: {
    'rp.title': 'Report a problem', 'rp.kind': 'Type', 'rp.kind.part': 'Part', 'rp.kind.event': 'Event',
    'rp.category': 'Category', 'rp.categoryHint': 'Major / minor', 'rp.grid': 'Grid', 'rp.gridHint': 'Pick or type a grid code',
    'rp.address': 'Address', 'rp.coords': 'Coordinates (optional)', 'rp.longitude': 'Longitude', 'rp.latitude': 'Latitude',
    'rp.description': 'Description', 'rp.photos': 'Photos', 'rp.addPhoto': 'Add photo',
    'rp.photoHint': 'JPG / PNG / WebP, at most {mb} MB each, up to {max}', 'rp.badType': '"{name}" is not a picture (JPG, PNG, WebP)',
    'rp.tooLarge': '"{name}" is larger than {mb} MB', 'rp.tooMany': 'At most {max} photos', 'rp.uploading': 'Uploading…',
    'rp.source': 'Source', 'rp.submit': 'Report', 'rp.reset': 'Clear', 'rp.required': '{label} is required',
    'rp.refused': 'The report was refused: see the messages', 'rp.reported': 'Reported: case {case_no}',
    'rp.duplicates': 'Possible duplicates', 'rp.duplicatesHint': 'Open cases in the same grid and category; the acceptor decides:',
    'rp.openCase': 'Open this case', 'rp.remove': 'Remove', 'rp.caseNo': 'Case no.', 'rp.startedAt': 'Reported',
    'source.supervisor': 'Supervisor', 'source.hotline_12345': 'Hotline 12345', 'source.hotline_12319': 'Hotline 12319',
    'source.wechat': 'WeChat', 'source.video_ai': 'Video AI', 'source.iot': 'IoT sensor',
  },
});

// The same limits as the server's (it answers 413/422 anyway): checked first so a wrong file costs no upload.
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const PHOTO_MAX_MB = 10;
const PHOTO_MAX_COUNT = 9;
const SOURCES = ['supervisor', 'hotline_12345', 'hotline_12319', 'wechat', 'video_ai', 'iot'];
const REQUIRED = ['category_code', 'address', 'description'];

function newKey() {
  return globalThis.crypto?.randomUUID?.() || `report-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function emptyReport() {
  return { source: 'supervisor', category_type: 'part', category_path: [], grid_code: '', address: '',
           longitude: null, latitude: null, description: '' };
}

function cascaderOptions(tree) {
  return (tree || []).map((major) => ({
    value: major.code, label: `${major.code} ${major.name}`,
    children: (major.children || []).filter((minor) => minor.is_active !== false)
      .map((minor) => ({ value: minor.code, label: `${minor.code} ${minor.name}` })),
  }));
}

const ReportPage = {
  components: { AppShell },
  setup() {
    const report = reactive(emptyReport());
    const errors = reactive({});
    const otherErrors = ref([]);
    const photos = ref([]);  // {key, name, preview, status: uploading|done|failed, ref}
    const trees = reactive({ part: [], event: [] });
    const grids = ref([]);
    const submitting = ref(false);
    const duplicates = ref(null);  // {case_no, items} after a report that has some
    const fileInput = ref(null);
    let idempotencyKey = newKey();

    async function loadCatalog() {
      for (const kind of ['part', 'event']) {
        try { trees[kind] = cascaderOptions(await api.get('/categories/tree', { kind, active: true })); } catch { trees[kind] = []; }
      }
      try { grids.value = (await api.page('/grids', { page_size: 100 })).items; } catch { grids.value = []; }
    }

    function pickPhotos() {
      fileInput.value.value = '';
      fileInput.value.click();
    }

    async function addPhotos(event) {
      for (const file of event.target.files) {
        if (photos.value.length >= PHOTO_MAX_COUNT) { ElMessage.warning(t('rp.tooMany', { max: PHOTO_MAX_COUNT })); break; }
        if (!PHOTO_TYPES.includes(file.type)) { ElMessage.error(t('rp.badType', { name: file.name })); continue; }
        if (file.size > PHOTO_MAX_MB * 1024 * 1024) { ElMessage.error(t('rp.tooLarge', { name: file.name, mb: PHOTO_MAX_MB })); continue; }
        // the attachment URL needs the bearer header, so the thumbnail is the local file itself
        const photo = reactive({ key: newKey(), name: file.name, preview: URL.createObjectURL(file), status: 'uploading', ref: null });
        photos.value.push(photo);
        try {
          const uploaded = await api.upload('/attachments', file);
          Object.assign(photo, { status: 'done', ref: uploaded.ref || `attachment:${uploaded.id}` });
        } catch (error) {
          photo.status = 'failed';
          ElMessage.error(`${file.name}: ${error.message}`);
        }
      }
    }

    function removePhoto(photo) {
      URL.revokeObjectURL(photo.preview);
      photos.value = photos.value.filter((p) => p !== photo);
    }

    function variables() {
      const { category_path: path, longitude, latitude, ...rest } = report;
      const body = { ...rest, category_code: path[path.length - 1] || '',
                     photos: photos.value.filter((p) => p.ref).map((p) => p.ref) };
      if (longitude !== null && longitude !== '') body.longitude = longitude;
      if (latitude !== null && latitude !== '') body.latitude = latitude;
      if (!body.grid_code) delete body.grid_code;
      return body;
    }

    function clearErrors() {
      for (const key of Object.keys(errors)) delete errors[key];
      otherErrors.value = [];
    }

    async function submit() {
      clearErrors();
      const body = variables();
      for (const field of REQUIRED) if (!body[field]) errors[field] = t('rp.required', { label: t(`rp.${field === 'category_code' ? 'category' : field}`) });
      if (Object.keys(errors).length) return;
      if (photos.value.some((p) => p.status === 'uploading')) { ElMessage.warning(t('rp.uploading')); return; }
      submitting.value = true;
      try {
        const started = await api.postWithHeaders('/cases', { process_key: 'closed_loop', variables: body },
          { 'Idempotency-Key': idempotencyKey });
        idempotencyKey = newKey();
        ElMessage.success(t('rp.reported', { case_no: started.case_no }));
        if (started.possible_duplicates?.length) duplicates.value = { case_no: started.case_no, items: started.possible_duplicates };
        else openCase(started.case_no);
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && error.errors.length) {
          for (const e of error.errors) {
            const field = String(e.field || '').replace(/^variables\./, '');
            if (['category_code', 'category_type', 'grid_code', 'address', 'description', 'source', 'longitude', 'latitude', 'photos'].includes(field)) errors[field] = e.message;
            else otherErrors.value.push(e.field ? `${e.field}：${e.message}` : e.message);
          }
          ElMessage.error(t('rp.refused'));
        } else {
          ElMessage.error(error.message);
        }
      } finally {
        submitting.value = false;
      }
    }

    function openCase(caseNo) {
      location.assign(`/cases/case.html?no=${encodeURIComponent(caseNo)}`);
    }

    function reset() {
      Object.assign(report, emptyReport());
      photos.value.forEach((p) => URL.revokeObjectURL(p.preview));
      photos.value = [];
      clearErrors();
      idempotencyKey = newKey();
    }

    onMounted(loadCatalog);
    return { report, errors, otherErrors, photos, trees, grids, submitting, duplicates, fileInput, SOURCES,
             PHOTO_TYPES, PHOTO_MAX_MB, PHOTO_MAX_COUNT, pickPhotos, addPhotos, removePhoto, submit, reset, openCase };
  },
  template: `
    <app-shell active="report">
      <div class="cb-card cb-report">
        <div class="cb-toolbar"><span class="cb-title">{{ t('rp.title') }}</span></div>
        <el-form label-width="96px" label-position="right" class="cb-report-form" @submit.prevent>
          <el-form-item :label="t('rp.source')" :error="errors.source">
            <el-select v-model="report.source" name="source" class="cb-report-source">
              <el-option v-for="s in SOURCES" :key="s" :value="s" :label="t('source.' + s)" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('rp.kind')" :error="errors.category_type">
            <el-radio-group v-model="report.category_type" @change="report.category_path = []" class="cb-report-kind">
              <el-radio-button value="part">{{ t('rp.kind.part') }}</el-radio-button>
              <el-radio-button value="event">{{ t('rp.kind.event') }}</el-radio-button>
            </el-radio-group>
          </el-form-item>
          <el-form-item :label="t('rp.category')" :error="errors.category_code" required>
            <el-cascader v-model="report.category_path" :options="trees[report.category_type]" filterable
                         :placeholder="t('rp.categoryHint')" class="cb-report-category" popper-class="cb-report-category-popper" />
          </el-form-item>
          <el-form-item :label="t('rp.grid')" :error="errors.grid_code">
            <el-select v-model="report.grid_code" filterable allow-create clearable :placeholder="t('rp.gridHint')" class="cb-report-grid">
              <el-option v-for="g in grids" :key="g.code" :value="g.code" :label="g.code + ' ' + (g.name || '')" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('rp.address')" :error="errors.address" required>
            <el-input v-model="report.address" name="address" maxlength="200" />
          </el-form-item>
          <el-form-item :label="t('rp.coords')" :error="errors.longitude || errors.latitude">
            <div class="cb-report-coords">
              <el-input-number v-model="report.longitude" :placeholder="t('rp.longitude')" :precision="6" :step="0.001" :min="-180" :max="180" controls-position="right" />
              <el-input-number v-model="report.latitude" :placeholder="t('rp.latitude')" :precision="6" :step="0.001" :min="-90" :max="90" controls-position="right" />
            </div>
          </el-form-item>
          <el-form-item :label="t('rp.description')" :error="errors.description" required>
            <el-input v-model="report.description" name="description" type="textarea" :rows="4" maxlength="2000" show-word-limit />
          </el-form-item>
          <el-form-item :label="t('rp.photos')" :error="errors.photos">
            <div class="cb-photos">
              <div v-for="photo in photos" :key="photo.key" :class="['cb-photo', photo.status]">
                <img :src="photo.preview" :alt="photo.name">
                <span v-if="photo.status === 'uploading'" class="cb-photo-state">{{ t('rp.uploading') }}</span>
                <el-button class="cb-photo-remove" circle size="small" @click="removePhoto(photo)" :title="t('rp.remove')">×</el-button>
              </div>
              <button v-if="photos.length < PHOTO_MAX_COUNT" type="button" class="cb-photo-add" @click="pickPhotos">+ {{ t('rp.addPhoto') }}</button>
              <input ref="fileInput" type="file" :accept="PHOTO_TYPES.join(',')" multiple hidden name="photo" @change="addPhotos">
            </div>
            <div class="cb-muted cb-photo-hint">{{ t('rp.photoHint', { mb: PHOTO_MAX_MB, max: PHOTO_MAX_COUNT }) }}</div>
          </el-form-item>
          <el-alert v-if="otherErrors.length" type="error" :closable="false" class="cb-report-errors">
            <ul><li v-for="m in otherErrors">{{ m }}</li></ul>
          </el-alert>
          <el-form-item>
            <el-button type="primary" :loading="submitting" @click="submit" class="cb-report-submit">{{ t('rp.submit') }}</el-button>
            <el-button @click="reset">{{ t('rp.reset') }}</el-button>
          </el-form-item>
        </el-form>
      </div>
      <el-dialog :model-value="!!duplicates" :title="t('rp.duplicates')" width="560px" :close-on-click-modal="false"
                 :show-close="false" class="cb-duplicates-dialog">
        <p>{{ t('rp.duplicatesHint') }}</p>
        <el-table v-if="duplicates" :data="duplicates.items" size="small">
          <el-table-column :label="t('rp.caseNo')" min-width="140">
            <template #default="{ row }"><a :href="'/cases/case.html?no=' + encodeURIComponent(row.case_no)" target="_blank">{{ row.case_no }}</a></template>
          </el-table-column>
          <el-table-column prop="address" :label="t('rp.address')" min-width="140" />
          <el-table-column :label="t('rp.startedAt')" width="160">
            <template #default="{ row }">{{ formatDateTime(row.started_at) }}</template>
          </el-table-column>
        </el-table>
        <template #footer>
          <el-button type="primary" @click="openCase(duplicates.case_no)">{{ t('rp.openCase') }}</el-button>
        </template>
      </el-dialog>
    </app-shell>`,
};

if (requireLogin()) {
  document.title = `${t('rp.title')} · citybpm`;
  installI18n(createApp(ReportPage)).mount('#app');
}
