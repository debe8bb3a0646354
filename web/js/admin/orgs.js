// 机构配置: the organisation tree with kind, leader and state; add (root or child), edit, move, disable/enable.
import { onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { attempt, confirmAction, mountAdminPage, orgOptions, useErrors } from './layout.js';

const KINDS = ['city', 'district', 'street', 'community', 'centre', 'department', 'team'];

addMessages({
  zh: {
    'orgs.kind': '类型', 'orgs.kind.city': '市', 'orgs.kind.district': '区', 'orgs.kind.street': '街道',
    'orgs.kind.community': '社区', 'orgs.kind.centre': '指挥中心', 'orgs.kind.department': '专业部门',
    'orgs.kind.team': '班组/队', 'orgs.parent': '上级机构', 'orgs.root': '（根机构）', 'orgs.leader': '领导',
    'orgs.grids': '所辖网格', 'orgs.gridsHint': '单元网格编码，每行一个', 'orgs.sort': '排序',
    'orgs.addRoot': '新增根机构', 'orgs.addChild': '新增下级', 'orgs.new': '新增机构', 'orgs.editTitle': '编辑机构：{name}',
    'orgs.filter': '按名称或编码筛选', 'orgs.confirmDisable': '停用“{name}”？须先停用其下级并办结派给它的任务。',
    'orgs.confirmEnable': '启用“{name}”？', 'orgs.noLeader': '未设置领导',
  },
  en: {
    'orgs.kind': 'Kind', 'orgs.kind.city': 'City', 'orgs.kind.district': 'District', 'orgs.kind.street': 'Street',
    'orgs.kind.community': 'Community', 'orgs.kind.centre': 'Command centre', 'orgs.kind.department': 'Department',
    'orgs.kind.team': 'Team', 'orgs.parent': 'Parent', 'orgs.root': '(root)', 'orgs.leader': 'Leader',
    'orgs.grids': 'Grids', 'orgs.gridsHint': 'Grid codes, one per line', 'orgs.sort': 'Order',
    'orgs.addRoot': 'Add a root', 'orgs.addChild': 'Add below', 'orgs.new': 'New organisation',
    'orgs.editTitle': 'Edit {name}', 'orgs.filter': 'Filter by name or code',
    'orgs.confirmDisable': 'Disable "{name}"? Its children and open tasks must be dealt with first.',
    'orgs.confirmEnable': 'Enable "{name}"?', 'orgs.noLeader': 'No leader',
  },
});

const FIELDS = ['code', 'name', 'kind', 'parent', 'leader_username', 'grids', 'sort'];

function blankOrg(parent = null) {
  return { code: '', name: '', kind: 'department', parent, leader_username: null, grids: '', sort: 0 };
}

function useOrgDialog(reload) {
  const dialog = reactive({ open: false, editing: null, saving: false, form: blankOrg(), leaders: [] });
  const errors = useErrors(FIELDS);

  async function searchLeaders(q) {
    dialog.leaders = (await api.page('/users', { q: q || undefined, active: true, page_size: 30 })).items;
  }
  function open(editing, form) {
    Object.assign(dialog, { open: true, editing, form, leaders: [] });
    errors.clear();
    searchLeaders('');
  }
  const openNew = (parent) => open(null, blankOrg(parent ? parent.code : null));
  const openEdit = (org) => open(org, { ...org, grids: (org.grids || []).join('\n') });

  function body(form) {
    const grids = form.grids.split(/\s+/).filter(Boolean);
    const common = { name: form.name, kind: form.kind, leader_username: form.leader_username || null, grids,
      sort: Number(form.sort) || 0 };
    return dialog.editing ? common : { ...common, code: form.code.trim(), parent: form.parent || null };
  }
  async function save() {
    dialog.saving = true;
    errors.clear();
    try {
      const { editing, form } = dialog;
      if (!editing) await api.post('/orgs', body(form));
      else {
        await api.patch(`/orgs/${encodeURIComponent(editing.code)}`, body(form));
        if ((form.parent || null) !== (editing.parent || null)) {
          await api.post(`/orgs/${encodeURIComponent(editing.code)}/move`, { parent: form.parent || null });
        }
      }
      ElMessage.success(t('admin.saved'));
      dialog.open = false;
      reload();
    } catch (error) {
      errors.capture(error);
    } finally {
      dialog.saving = false;
    }
  }
  return { dialog, errors, openNew, openEdit, save, searchLeaders };
}

const OrgsPage = {
  setup() {
    const tree = ref([]);
    const flat = ref([]);
    const filter = ref('');
    const treeRef = ref(null);
    const loading = ref(false);

    async function load() {
      loading.value = true;
      try {
        [tree.value, flat.value] = await Promise.all([api.get('/orgs/tree'), orgOptions()]);
      } catch (error) {
        ElMessage.error(error.message);
      } finally {
        loading.value = false;
      }
    }
    async function setActive(org, active) {
      const key = active ? 'orgs.confirmEnable' : 'orgs.confirmDisable';
      if (!await confirmAction(t(key, { name: org.name }))) return;
      await attempt(() => api.post(`/orgs/${encodeURIComponent(org.code)}/${active ? 'enable' : 'disable'}`),
        t('admin.done'));
      load();
    }
    const matches = (value, node) => !value || node.name.includes(value) || node.code.includes(value.toUpperCase());
    const applyFilter = (value) => treeRef.value && treeRef.value.filter(value);

    onMounted(load);
    return { tree, flat, filter, treeRef, loading, load, setActive, matches, applyFilter, KINDS,
      ...useOrgDialog(load) };
  },
  template: `
    <admin-layout page="orgs">
      <div class="cb-card">
        <div class="cb-toolbar">
          <span class="cb-title">{{ t('admin.orgs') }}</span>
          <el-input v-model="filter" :placeholder="t('orgs.filter')" clearable style="width: 220px" @input="applyFilter" />
          <span class="cb-spacer"></span>
          <el-button @click="load">{{ t('admin.refresh') }}</el-button>
          <el-button type="primary" @click="openNew(null)">{{ t('orgs.addRoot') }}</el-button>
        </div>
        <el-tree ref="treeRef" :data="tree" node-key="code" default-expand-all :expand-on-click-node="false"
                 :filter-node-method="matches" :props="{ label: 'name', children: 'children' }"
                 v-loading="loading" :empty-text="t('common.none')" class="cb-orgs-tree">
          <template #default="{ data }">
            <div class="cb-orgs-node" :class="{ 'cb-muted': !data.is_active }">
              <span class="cb-orgs-name">{{ data.name }}</span>
              <span class="cb-muted">{{ data.code }}</span>
              <el-tag size="small" effect="plain">{{ t('orgs.kind.' + data.kind) }}</el-tag>
              <span class="cb-orgs-leader">{{ data.leader_name || data.leader_username || t('orgs.noLeader') }}</span>
              <el-tag v-if="!data.is_active" size="small" type="info">{{ t('admin.inactive') }}</el-tag>
              <span class="cb-spacer"></span>
              <el-button link type="primary" @click.stop="openNew(data)">{{ t('orgs.addChild') }}</el-button>
              <el-button link type="primary" @click.stop="openEdit(data)">{{ t('admin.edit') }}</el-button>
              <el-button v-if="data.is_active" link type="danger" @click.stop="setActive(data, false)">{{ t('admin.disable') }}</el-button>
              <el-button v-else link type="success" @click.stop="setActive(data, true)">{{ t('admin.enable') }}</el-button>
            </div>
          </template>
        </el-tree>
      </div>

      <el-dialog v-model="dialog.open" :title="dialog.editing ? t('orgs.editTitle', { name: dialog.editing.name }) : t('orgs.new')"
                 width="540px" class="cb-org-dialog" :close-on-click-modal="false">
        <el-form label-width="84px" @submit.prevent>
          <el-form-item :label="t('admin.code')" :error="errors.fields.code" required>
            <el-input v-model="dialog.form.code" name="code" :disabled="!!dialog.editing" />
          </el-form-item>
          <el-form-item :label="t('admin.name')" :error="errors.fields.name" required>
            <el-input v-model="dialog.form.name" name="name" />
          </el-form-item>
          <el-form-item :label="t('orgs.kind')" :error="errors.fields.kind" required>
            <el-select v-model="dialog.form.kind" style="width: 100%">
              <el-option v-for="kind in KINDS" :key="kind" :label="t('orgs.kind.' + kind)" :value="kind" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('orgs.parent')" :error="errors.fields.parent">
            <el-select v-model="dialog.form.parent" filterable clearable :placeholder="t('orgs.root')" style="width: 100%">
              <el-option v-for="org in flat" :key="org.code" :label="org.label" :value="org.code"
                         :disabled="dialog.editing && org.path.startsWith(dialog.editing.path)" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('orgs.leader')" :error="errors.fields.leader_username">
            <el-select v-model="dialog.form.leader_username" filterable remote clearable :remote-method="searchLeaders"
                       style="width: 100%">
              <el-option v-if="dialog.editing && dialog.editing.leader_username" :value="dialog.editing.leader_username"
                         :label="dialog.editing.leader_name || dialog.editing.leader_username" />
              <el-option v-for="u in dialog.leaders.filter(u => !dialog.editing || u.username !== dialog.editing.leader_username)"
                         :key="u.username" :label="u.display_name + '（' + u.username + '）'" :value="u.username" />
            </el-select>
          </el-form-item>
          <el-form-item :label="t('orgs.grids')" :error="errors.fields.grids">
            <el-input v-model="dialog.form.grids" type="textarea" :rows="3" :placeholder="t('orgs.gridsHint')" name="grids" />
          </el-form-item>
          <el-form-item :label="t('orgs.sort')" :error="errors.fields.sort">
            <el-input-number v-model="dialog.form.sort" :step="1" />
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

mountAdminPage('orgs', OrgsPage);
