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

  clearErrors() {
    this.form._setState({ errors: {} });
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
  return new FormView(form);
}
