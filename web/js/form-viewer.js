// The form-js viewer as our pages use it: render a schema with data, collect what was entered, and put the
// server's field errors ([{field, message}], field = the data path such as "fine" or "items.0.name")
// next to the fields they belong to. The page must load /vendor/@bpmn-io/form-js/form-viewer.umd.js,
// which defines the global `FormViewer`.
import { currentLang } from './i18n.js';

// form-js's own client-side messages are English only; the server's are already localised.
const CLIENT_MESSAGES_ZH = [
  [/^Field is required\.$/, () => '此项为必填项'],
  [/^Field must have minimum value of (.+)\.$/, (m) => `不能小于 ${m[1]}`],
  [/^Field must have maximum value of (.+)\.$/, (m) => `不能大于 ${m[1]}`],
  [/^Field must have minimum length of (.+)\.$/, (m) => `至少需要 ${m[1]} 个字符`],
  [/^Field must have maximum length of (.+)\.$/, (m) => `最多 ${m[1]} 个字符`],
  [/^Field must match pattern (.+)\.$/, () => '格式不正确'],
  [/^Field must be a valid +international phone number.*$/, () => '不是有效的电话号码'],
  [/^Field must be a valid email\.$/, () => '不是有效的电子邮箱地址'],
];

function toChinese(message) {
  for (const [pattern, render] of CLIENT_MESSAGES_ZH) {
    const match = pattern.exec(message);
    if (match) return render(match);
  }
  return message;
}

// A form-js module: wraps the validator service so its messages come out in Chinese.
function ChineseValidatorMessages(validator) {
  for (const method of ['validateField', 'validateFieldInstance']) {
    const original = validator[method]?.bind(validator);
    if (original) validator[method] = (...args) => original(...args).map(toChinese);
  }
}
ChineseValidatorMessages.$inject = ['validator'];
const chineseMessagesModule = {
  __init__: ['chineseValidatorMessages'],
  chineseValidatorMessages: ['type', ChineseValidatorMessages],
};

// The viewer's own fixed texts (placeholders, empty lists, the file button), relabelled where they render so a
// field whose label happens to be "Select" keeps it. Preact rewrites a text only when it changes, and the
// observer catches that too.
const VIEWER_TEXTS_ZH = {
  'Select': '请选择', 'Search': '搜索', 'No results': '无匹配项', 'All values selected': '已全部选择',
  'Browse': '选择文件', 'No files selected': '未选择文件', 'Nothing to show.': '暂无数据',
};
const VIEWER_CHROME = ['.fjs-select-placeholder', '.fjs-dropdownlist-empty', '.fjs-filepicker-button',
  '.fjs-filepicker-container > .fjs-form-field-label', '.fjs-table-td[colspan]'].join(',');

function relabelViewer(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const chinese = VIEWER_TEXTS_ZH[node.data.trim()];
    if (chinese && node.parentElement?.closest(VIEWER_CHROME)) node.data = chinese;
  }
  root.querySelectorAll?.('.fjs-form-field-select input.fjs-input, input.fjs-taglist-input').forEach((input) => {
    input.placeholder = VIEWER_TEXTS_ZH[input.placeholder] || input.placeholder;
  });
}

const relabelled = new WeakSet();  // the designer re-renders its preview into the same container

function keepViewerChinese(container) {
  relabelViewer(container);
  if (relabelled.has(container)) return;
  relabelled.add(container);
  new MutationObserver((mutations) => {
    for (const { type, target } of mutations) {
      const element = type === 'characterData' ? target.parentElement : target;
      if (element) relabelViewer(element);
    }
  }).observe(container, { subtree: true, childList: true, characterData: true });
}

export class FormView {
  constructor(form) {
    this.form = form;
  }

  // The entered data (without disabled fields). Also runs form-js's checks so obvious mistakes show at
  // once, but the server has the last word: pages send the data whatever form-js thinks of it.
  collect() {
    return this.form.submit().data;
  }

  // The current data without triggering validation, e.g. to keep it across a re-render.
  currentData() {
    return structuredClone(this.form._getState().data || {});
  }

  // Shows each error under its field; returns the errors that match no rendered field, for the page to list.
  showErrors(errors) {
    const instances = this.form.get('formFieldInstanceRegistry').getAllKeyed();
    const byPath = new Map(instances.map((instance) => [instance.valuePath.join('.'), instance]));
    const registry = this.form.get('formFieldRegistry');
    const byKey = new Map(registry.getAll().filter((field) => field.key).map((field) => [field.key, field]));
    const fieldErrors = {};
    const unplaced = [];
    for (const error of errors) {
      const instance = byPath.get(error.field);
      const field = instance ? null : byKey.get(error.field) || (error.component_id && registry.get(error.component_id));
      if (instance) {
        addError(fieldErrors, [instance.id, ...Object.values(instance.indexes || {})], error.message);
      } else if (field) {
        addError(fieldErrors, [field.id], error.message);
      } else {
        unplaced.push(error);
      }
    }
    // form-js has no public API for external errors; its state is what its fields render from, and the
    // next edit of a field re-validates it and clears the server's message there.
    this.form._setState({ errors: fieldErrors });
    return unplaced;
  }

  // After a successful submission: the data stays visible, nothing can be changed any more.
  lock() {
    this.form.setProperty('readOnly', true);
  }

  destroy() {
    this.form.destroy();
  }
}

function addError(errors, path, message) {
  let node = errors;
  path.slice(0, -1).forEach((part) => { node = node[part] ??= {}; });
  const last = path[path.length - 1];
  node[last] = [...(node[last] || []), message];
}

// Renders `schema` with `data` into `container`; readOnly shows every field read-only (e.g. an old version).
// Fields marked `readonly: true` by the server stay read-only in any case: form-js honours the property.
export async function renderForm(container, schema, { data = {}, readOnly = false } = {}) {
  const form = new window.FormViewer.Form({
    container,
    properties: { readOnly },
    additionalModules: currentLang() === 'zh' ? [chineseMessagesModule] : [],
  });
  await form.importSchema(schema, data);
  if (currentLang() === 'zh') keepViewerChinese(container);
  return new FormView(form);
}
