"""forms.schema_builder: marshmallow schemas generated from form-js definitions, and publish checks.

The matrix runs every input component type through its rules, then the containers (groups with
and without a path, dynamic lists, lists in lists), conditional hiding at the top level and per
list item, and the zh/en messages with label and path.
"""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from marshmallow import Schema, fields

from forms import list_forms, load_form
from forms.schema_builder import CompiledForm, build_schema, check_definition


def form_of(*components):
    return {"type": "default", "id": "t", "schemaVersion": 16, "components": list(components)}


def field(ctype, key="f", label="字段", **extra):
    return {"type": ctype, "key": key, "label": label, "id": f"c_{key}", **extra}


def errors_of(component, value, lang="zh"):
    data = {} if value is ABSENT else {component["key"]: value}
    return build_schema(form_of(component)).validate(data, lang)


ABSENT = object()
REQUIRED = {"validate": {"required": True}}
OPTIONS = [{"label": "甲", "value": "a"}, {"label": "乙", "value": "b"}]

# (component, value, expected message or None); the label is always 字段
MATRIX = [
    # textfield / textarea
    (field("textfield", **REQUIRED), "x", None),
    (field("textfield", **REQUIRED), ABSENT, "「字段」为必填项"),
    (field("textfield", **REQUIRED), None, "「字段」为必填项"),
    (field("textfield", **REQUIRED), "", "「字段」为必填项"),
    (field("textfield", **REQUIRED), " \t ", "「字段」为必填项"),
    (field("textfield"), "", None),
    (field("textfield"), 12, "「字段」必须是文本"),
    (field("textfield"), {"a": 1}, "「字段」必须是文本"),
    (field("textfield", validate={"minLength": 2}), "a", "「字段」至少需要 2 个字符"),
    (field("textfield", validate={"minLength": 2}), "", None),  # empty: only required applies
    (field("textfield", validate={"maxLength": 3}), "abcd", "「字段」最多 3 个字符"),
    (field("textfield", validate={"maxLength": 3}), "井盖缺", None),  # characters, not bytes
    (field("textfield", validate={"pattern": "^[0-9]+$"}), "12a", "「字段」格式不正确"),
    (field("textfield", validate={"pattern": "[0-9]"}), "A-1", None),  # a search, like RegExp.test
    (field("textfield", validate={"pattern": "([a-"}), "x", None),  # refused at publish instead
    (field("textfield", validate={"pattern": "=codePattern"}), "x", None),  # FEEL: browser only
    (field("textfield", validate={"validationType": "email"}), "a@b.cn", None),
    (field("textfield", validate={"validationType": "email"}), "a@b", "「字段」不是有效的电子邮箱地址"),
    (field("textfield", validate={"validationType": "phone"}), "+86 138-0000-0000", None),
    (field("textfield", validate={"validationType": "phone"}), "call me", "「字段」不是有效的电话号码"),
    (field("textarea", validate={"required": True, "maxLength": 5}), "123456", "「字段」最多 5 个字符"),
    (field("textarea", **REQUIRED), "多行\n文本", None),
    # number
    (field("number", validate={"min": 0, "max": 10}), 0, None),
    (field("number", validate={"min": 0, "max": 10}), 10, None),
    (field("number", validate={"min": 0, "max": 10}), 2.5, None),
    (field("number", validate={"min": 0, "max": 10}), Decimal("9.99"), None),
    (field("number", validate={"min": 0, "max": 10}), -1, "「字段」不能小于 0"),
    (field("number", validate={"min": 0, "max": 10}), 10.01, "「字段」不能大于 10"),
    (field("number", validate={"max": 0.1}), 0.1, None),  # no binary-float surprise at the bound
    (field("number", validate={"min": 0.1}), 0.1, None),
    (field("number", validate={"min": "5"}), 4, "「字段」不能小于 5"),  # a bound written as text
    (field("number", validate={"min": "=lower"}), -100, None),  # FEEL: browser only
    (field("number"), "5", "「字段」必须是数字"),
    (field("number"), True, "「字段」必须是数字"),
    (field("number"), float("nan"), "「字段」必须是数字"),
    (field("number"), float("inf"), "「字段」必须是数字"),
    (field("number"), [5], "「字段」必须是数字"),
    (field("number", **REQUIRED), ABSENT, "「字段」为必填项"),
    (field("number", **REQUIRED), 0, None),  # zero is a value
    (field("number", serializeToString=True, validate={"max": 10}), "7.50", None),
    (field("number", serializeToString=True, validate={"max": 10}), "10.000001", "「字段」不能大于 10"),
    (field("number", serializeToString=True, validate={"min": 0.1}), "0.1", None),
    (field("number", serializeToString=True), "七", "「字段」必须是数字"),
    (field("number", serializeToString=True), "NaN", "「字段」必须是数字"),
    (field("number", serializeToString=True), 7, None),
    # select / radio
    (field("select", values=OPTIONS, **REQUIRED), "a", None),
    (field("select", values=OPTIONS, **REQUIRED), "c", "「字段」的值不在可选项中"),
    (field("select", values=OPTIONS, **REQUIRED), "", "「字段」为必填项"),
    (field("select", values=OPTIONS), ["a"], "「字段」的值不在可选项中"),
    (field("select", valuesKey="dynamicOptions"), "anything", None),
    (field("select", valuesExpression="=options"), "anything", None),
    (field("radio", values=[{"label": "一", "value": 1}, {"label": "二", "value": 2}]), 2, None),
    (field("radio", values=[{"label": "一", "value": 1}, {"label": "二", "value": 2}]), "2",
     "「字段」的值不在可选项中"),
    (field("radio", values=[{"label": "一", "value": 1}]), True, "「字段」的值不在可选项中"),
    (field("radio", values=[{"label": "是", "value": True}]), 1, "「字段」的值不在可选项中"),
    (field("radio", values=[{"label": "是", "value": True}]), True, None),
    # checkbox
    (field("checkbox"), False, None),
    (field("checkbox"), True, None),
    (field("checkbox"), ABSENT, None),
    (field("checkbox", **REQUIRED), True, None),
    (field("checkbox", **REQUIRED), False, "「字段」为必填项"),  # must be ticked
    (field("checkbox", **REQUIRED), None, "「字段」为必填项"),
    (field("checkbox"), "yes", "「字段」必须是“是”或“否”（true/false）"),
    (field("checkbox"), 1, "「字段」必须是“是”或“否”（true/false）"),
    # checklist / taglist
    (field("checklist", values=OPTIONS), ["a", "b"], None),
    (field("checklist", values=OPTIONS), ["a", "c"], "「字段」的值不在可选项中"),
    (field("checklist", values=OPTIONS), "a", "「字段」必须是列表"),
    (field("checklist", values=OPTIONS, **REQUIRED), [], "「字段」为必填项"),
    (field("taglist", values=OPTIONS), ["b"], None),
    (field("taglist", values=OPTIONS), ["b", 1], "「字段」的值不在可选项中"),
    (field("taglist", valuesKey="tags"), ["free", "text"], None),
    (field("taglist", values=OPTIONS, **REQUIRED), ABSENT, "「字段」为必填项"),
    # datetime: form-js serializes dates, times (with the chosen offset style) and datetimes
    (field("datetime", subtype="date"), "2026-02-14", None),
    (field("datetime", subtype="date"), "2026-02-30", "「字段」不是有效的日期（YYYY-MM-DD）"),
    (field("datetime", subtype="date"), 20260214, "「字段」不是有效的日期（YYYY-MM-DD）"),
    (field("datetime", subtype="time"), "08:30", None),
    (field("datetime", subtype="time"), "08:30+08:00", None),
    (field("datetime", subtype="time"), "00:30Z", None),
    (field("datetime", subtype="time"), "25:00", "「字段」不是有效的时间（HH:MM）"),
    (field("datetime", subtype="time"), "8 点半", "「字段」不是有效的时间（HH:MM）"),
    (field("datetime", subtype="datetime"), "2026-01-05T08:30+08:00", None),
    (field("datetime", subtype="datetime"), "2026-01-05T00:30Z", None),
    (field("datetime", subtype="datetime"), "2026-01-05T08:30", None),
    (field("datetime", subtype="datetime"), "yesterday",
     "「字段」不是有效的日期时间（ISO 8601，如 2026-01-05T08:30:00+08:00）"),
    (field("datetime"), "2026-01-05T08:30:00+08:00", None),  # no subtype: a datetime
    (field("datetime", subtype="date", **REQUIRED), ABSENT, "「字段」为必填项"),
    # filepicker: form-js's files:: key, uploaded ids, {id, name} objects
    (field("filepicker"), "files::a1b2", None),
    (field("filepicker"), {"id": "file:abc", "name": "井盖.jpg"}, None),
    (field("filepicker"), ["file:abc"], None),
    (field("filepicker"), ["file:abc", "file:def"], "「字段」只能上传一个文件"),
    (field("filepicker", multiple=True), ["file:abc", {"id": "file:def"}], None),
    (field("filepicker", multiple="=allowMany"), ["file:abc", "file:def"], None),
    (field("filepicker", multiple=True), [1], "「字段」必须是文件引用或文件引用列表"),
    (field("filepicker", multiple=True), ["file:abc", "  "], "「字段」必须是文件引用或文件引用列表"),
    (field("filepicker"), {"name": "no-id.jpg"}, "「字段」必须是文件引用或文件引用列表"),
    (field("filepicker"), {"id": "file:abc", "name": 3}, "「字段」必须是文件引用或文件引用列表"),
    (field("filepicker", **REQUIRED), [], "「字段」为必填项"),
]


@pytest.mark.parametrize("component,value,expected", MATRIX,
                         ids=[f"{c['type']}-{i}" for i, (c, _, _) in enumerate(MATRIX)])
def test_component_rule_matrix(component, value, expected):
    assert errors_of(component, value) == ({"f": expected} if expected else {})


@pytest.mark.parametrize("ctype", ["text", "html", "spacer", "separator", "button", "image",
                                   "iframe", "table", "expression", "documentPreview"])
def test_display_components_are_skipped(ctype):
    assert errors_of(field(ctype, **REQUIRED), ABSENT) == {}


def test_messages_name_the_label_in_english_and_chinese():
    component = {"type": "number", "key": "qty", "label": "数量",
                 "properties": {"label_en": "Quantity"}, "validate": {"min": 1}}
    assert errors_of(component, 0, "en") == {"qty": "“Quantity” must not be less than 1"}
    assert errors_of(component, "x", "en-US") == {"qty": "“Quantity” must be a number"}
    assert errors_of(component, 0, "zh-CN") == {"qty": "「数量」不能小于 1"}


def test_label_falls_back_to_date_label_then_key():
    dated = {"type": "datetime", "key": "day", "subtype": "date", "dateLabel": "日期"}
    assert errors_of(dated, "x") == {"day": "「日期」不是有效的日期（YYYY-MM-DD）"}
    bare = {"type": "textfield", "key": "code", "validate": {"required": True}}
    assert errors_of(bare, ABSENT) == {"code": "「code」为必填项"}
    assert errors_of(bare, ABSENT, "en") == {"code": "“code” is required"}


# -- groups ----------------------------------------------------------------------------------------

ADDRESS_FORM = form_of(
    {"type": "group", "label": "位置", "id": "g1", "components": [  # no path: fields stay flat
        field("textfield", "district", "所属区", **REQUIRED),
    ]},
    {"type": "group", "label": "地址", "path": "address", "id": "g2", "components": [
        field("textfield", "street", "街道", properties={"label_en": "Street"}, **REQUIRED),
        {"type": "group", "label": "坐标", "path": "point", "id": "g3", "components": [
            field("number", "lat", "纬度", validate={"min": -90, "max": 90}),
        ]},
    ]},
)


def test_group_with_path_nests_and_without_path_flattens():
    compiled = build_schema(ADDRESS_FORM)
    assert compiled.validate({}) == {"district": "「所属区」为必填项",
                                     "address.street": "「街道」为必填项"}
    assert compiled.validate({}, "en") == {"district": "“所属区” is required",
                                           "address.street": "“Street” is required"}
    ok = {"district": "东城区", "address": {"street": "东华门街道", "point": {"lat": 39.9}}}
    assert compiled.validate(ok) == {}
    assert compiled.validate({**ok, "address": {"street": "x", "point": {"lat": 95}}}) == {
        "address.point.lat": "「纬度」不能大于 90"}


def test_group_value_that_is_not_an_object():
    compiled = build_schema(ADDRESS_FORM)
    assert compiled.validate({"district": "x", "address": "东华门"}) == {
        "address": "「地址」必须是一组字段（JSON 对象）"}
    assert compiled.validate({"district": "x", "address": {"street": "y", "point": [1]}}, "en") == {
        "address.point": "“坐标” must be a group of fields (a JSON object)"}


def test_generated_schema_is_marshmallow_all_the_way_down():
    compiled = build_schema(form_of(
        ADDRESS_FORM["components"][1],
        {"type": "dynamiclist", "path": "items", "components": [field("number", "qty")]},
    ))
    assert isinstance(compiled.schema, Schema)
    address = compiled.schema.fields["address"]
    assert isinstance(address, fields.Nested)
    assert set(address.schema.fields) == {"street", "point"}
    items = compiled.schema.fields["items"]
    assert isinstance(items, fields.List) and isinstance(items.inner, fields.Nested)
    assert set(items.inner.schema.fields) == {"qty"}


# -- dynamic lists ---------------------------------------------------------------------------------

def expense_form():
    return form_of(
        field("select", "mode", "模式", values=[{"label": "严格", "value": "strict"},
                                                {"label": "宽松", "value": "loose"}]),
        {"type": "dynamiclist", "path": "items", "label": "费用明细", "id": "list",
         "isRepeating": True, "allowAddRemove": True, "defaultRepetitions": 1,
         "properties": {"label_en": "Expenses"}, "components": [
             field("select", "kind", "类别", values=[{"label": "材料", "value": "material"},
                                                     {"label": "其他", "value": "other"}],
                   **REQUIRED),
             field("number", "amount", "金额", properties={"label_en": "Amount"},
                   validate={"required": True, "min": 0}),
             # the item's own field, by name and as ``this``
             field("textfield", "note", "说明", validate={"required": True, "maxLength": 5},
                   conditional={"hide": '=this.kind != "other"'}),
             field("textfield", "receipt", "票据号", **REQUIRED,
                   conditional={"hide": '=amount < 100 or parent.mode = "loose"'}),
         ]},
    )


def test_dynamic_list_errors_name_the_item():
    compiled = build_schema(expense_form())
    data = {"items": [{"kind": "material", "amount": 5},
                      {"kind": "material", "amount": -1},
                      {"amount": 3}]}
    assert compiled.validate(data) == {"items[1].amount": "「金额」不能小于 0",
                                       "items[2].kind": "「类别」为必填项"}
    assert compiled.validate(data, "en") == {"items[1].amount": "“Amount” must not be less than 0",
                                             "items[2].kind": "“类别” is required"}


def test_item_level_condition_is_evaluated_against_each_item():
    compiled = build_schema(expense_form())
    data = {"mode": "strict", "items": [
        {"kind": "material", "amount": 5, "note": "ignored because hidden: far too long"},
        {"kind": "other", "amount": 5},
        {"kind": "other", "amount": 5, "note": "太长了太长了"},
        {"kind": "material", "amount": 500},
    ]}
    assert compiled.validate(data) == {
        "items[1].note": "「说明」为必填项",
        "items[2].note": "「说明」最多 5 个字符",
        "items[3].receipt": "「票据号」为必填项",
    }
    assert compiled.hidden_paths(data) == [
        "items[0].note", "items[0].receipt", "items[1].receipt", "items[2].receipt",
        "items[3].note"]
    # ``parent`` is the scope around the list: in loose mode no receipt is asked for
    assert compiled.validate({**data, "mode": "loose"}) == {
        "items[1].note": "「说明」为必填项", "items[2].note": "「说明」最多 5 个字符"}


def test_dynamic_list_shapes():
    compiled = build_schema(expense_form())
    assert compiled.validate({}) == {}  # no items yet
    assert compiled.validate({"items": []}) == {}
    assert compiled.validate({"items": {"kind": "other"}}) == {"items": "「费用明细」必须是列表"}
    assert compiled.validate({"items": [{"kind": "material", "amount": 1}, "x"]}, "en") == {
        "items[1]": "each item of “Expenses” must be a group of fields (a JSON object)"}


def test_lists_in_lists_and_groups_in_items():
    form = form_of({"type": "dynamiclist", "path": "stops", "label": "站点", "components": [
        field("textfield", "name", "站名", **REQUIRED),
        {"type": "group", "path": "contact", "label": "联系人", "components": [
            field("textfield", "phone", "电话", validate={"validationType": "phone"}),
        ]},
        {"type": "dynamiclist", "path": "parts", "label": "部件", "components": [
            field("number", "qty", "数量", validate={"required": True, "min": 1}),
            field("textfield", "why", "原因", **REQUIRED, conditional={"hide": "=qty < 10"}),
        ]},
    ]})
    data = {"stops": [
        {"name": "甲", "parts": [{"qty": 2}, {"qty": 0}]},
        {"name": "", "contact": {"phone": "?"}, "parts": [{"qty": 20}]},
    ]}
    assert build_schema(form).validate(data) == {
        "stops[0].parts[1].qty": "「数量」不能小于 1",
        "stops[1].name": "「站名」为必填项",
        "stops[1].contact.phone": "「电话」不是有效的电话号码",
        "stops[1].parts[0].why": "「原因」为必填项",
    }


def test_dynamic_list_without_a_path_is_ignored():
    form = form_of({"type": "dynamiclist", "components": [field("textfield", "x", **REQUIRED)]})
    assert build_schema(form).validate({}) == {}


# -- conditional hide at the top level -------------------------------------------------------------

def complaint_form():
    return form_of(
        field("radio", "channel", "渠道", values=[{"label": "电话", "value": "phone"},
                                                  {"label": "现场", "value": "visit"}],
              **REQUIRED),
        field("textfield", "callback", "回拨号码",
              validate={"required": True, "validationType": "phone"},
              conditional={"hide": '=channel != "phone"'}),
        {"type": "group", "path": "visit", "label": "现场信息", "id": "visit",
         "conditional": {"hide": '=channel != "visit"'}, "components": [
             field("datetime", "at", "到场时间", subtype="datetime", **REQUIRED),
             field("filepicker", "photos", "照片", multiple=True, **REQUIRED),
         ]},
        {"type": "dynamiclist", "path": "witnesses", "label": "证人", "id": "witnesses",
         "conditional": {"hide": "=visit.at = null"}, "components": [
             field("textfield", "name", "姓名", **REQUIRED),
         ]},
    )


def test_hidden_field_is_neither_required_nor_validated():
    compiled = build_schema(complaint_form())
    assert compiled.validate({"channel": "phone"}) == {"callback": "「回拨号码」为必填项"}
    assert compiled.validate({"channel": "phone", "callback": "?"}) == {
        "callback": "「回拨号码」不是有效的电话号码"}
    assert compiled.validate({"channel": "phone", "callback": "12345"}) == {}
    # hidden: a missing value is fine and a bad one is ignored (form-js drops it)
    visit = {"at": "2026-01-05T08:30+08:00", "photos": ["file:1"]}
    assert compiled.validate({"channel": "visit", "visit": visit, "callback": "?"}) == {}


def test_hidden_group_and_list_hide_everything_inside():
    compiled = build_schema(complaint_form())
    assert compiled.validate({"channel": "visit"}) == {
        "visit.at": "「到场时间」为必填项", "visit.photos": "「照片」为必填项"}
    hidden_visit = {"channel": "phone", "callback": "12345", "visit": {"photos": [7]},
                    "witnesses": [{"name": ""}]}
    assert compiled.validate(hidden_visit) == {}
    assert compiled.hidden_paths(hidden_visit) == ["visit.at", "visit.photos", "witnesses"]
    shown = {"channel": "visit", "visit": {"at": "2026-01-05T08:30", "photos": ["file:1"]},
             "witnesses": [{"name": "王"}, {}]}
    assert compiled.validate(shown) == {"witnesses[1].name": "「姓名」为必填项"}


def test_conditions_see_the_submitted_data_not_the_filtered_data():
    # form-js evaluates every condition on the unfiltered data: a field that hides another
    # still counts while it is hidden itself
    form = form_of(
        field("checkbox", "simple", "简易"),
        field("select", "level", "等级", values=OPTIONS, conditional={"hide": "=simple"}),
        field("textfield", "detail", "详情", **REQUIRED, conditional={"hide": '=level = "a"'}),
    )
    assert build_schema(form).validate({"simple": True, "level": "a"}) == {}
    assert build_schema(form).validate({"simple": True, "level": "b"}) == {
        "detail": "「详情」为必填项"}


def test_condition_beyond_the_subset_only_drops_required():
    # publishing refuses it; a definition stored earlier still validates the values it gets
    component = field("textfield", validate={"required": True, "maxLength": 2},
                      conditional={"hide": "=some x in items satisfies x > 1"})
    assert errors_of(component, ABSENT) == {}
    assert errors_of(component, "  ") == {}
    assert errors_of(component, "abc") == {"f": "「字段」最多 2 个字符"}


@pytest.mark.parametrize("hide,hidden", [
    (True, True), (False, False), ("", False), ("=", False), ("=true", True), ("=false", False),
    ("=null", False), ("=1", False),  # only exactly true hides
])
def test_constant_conditions(hide, hidden):
    component = field("textfield", **REQUIRED, conditional={"hide": hide})
    assert (errors_of(component, ABSENT) == {}) is hidden


# -- the rest of the contract ----------------------------------------------------------------------

def test_unknown_keys_are_process_variables():
    compiled = build_schema(form_of(field("textfield", "a", **REQUIRED)))
    assert compiled.validate({"a": "x", "case_no": "C-1", "nested": {"deep": [1]}}) == {}
    assert compiled.validate(None) == {"a": "「字段」为必填项"}
    assert compiled.validate(["not", "a", "dict"]) == {"a": "「字段」为必填项"}


def test_dotted_keys_nest_and_accept_flat_process_variables():
    compiled = build_schema(form_of(field("textfield", "contact.phone", "电话", **REQUIRED),
                                    field("textfield", "contact.name", "姓名")))
    assert compiled.validate({}) == {"contact.phone": "「电话」为必填项"}
    assert compiled.validate({"contact": {"phone": "1"}}) == {}
    assert compiled.validate({"contact.phone": "1"}) == {}
    assert compiled.validate({"contact": {"phone": ""}, "contact.phone": "1"}) == {}


def test_keys_that_are_schema_attribute_names_still_validate():
    form = form_of(*(field("textfield", key, key, **REQUIRED)
                     for key in ("Meta", "fields", "load", "validate", "opts")))
    errors = build_schema(form).validate({"fields": "x"})
    assert errors == {key: f"「{key}」为必填项" for key in ("Meta", "load", "validate", "opts")}


def test_disabled_and_keyless_components_are_skipped():
    form = form_of(field("textfield", "a", disabled=True, **REQUIRED),
                   {"type": "textfield", "label": "无键", **REQUIRED},
                   {"type": "mystery", "key": "m", **REQUIRED})
    assert build_schema(form).validate({}) == {}


def test_schema_is_built_once_per_definition_content():
    form = expense_form()
    compiled = build_schema(form)
    assert isinstance(compiled, CompiledForm)
    assert build_schema(copy.deepcopy(form)) is compiled
    changed = copy.deepcopy(form)
    changed["components"][1]["components"][1]["validate"]["min"] = 10
    assert build_schema(changed) is not compiled
    assert build_schema(changed).validate({"items": [{"kind": "material", "amount": 5}]}) == {
        "items[0].amount": "「金额」不能小于 10"}


def test_definition_with_values_json_cannot_hold_still_builds():
    form = form_of(field("number", validate={"max": Decimal("2.5")}))
    assert build_schema(form).validate({"f": 3}) == {"f": "「字段」不能大于 2.5"}


def test_one_message_per_field():
    component = field("textfield", validate={"minLength": 5, "pattern": "^[0-9]+$"})
    assert errors_of(component, "ab") == {"f": "「字段」至少需要 5 个字符"}


# -- check_definition ------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list_forms())
def test_shipped_forms_pass_the_publish_check(key):
    assert check_definition(load_form(key)) == []


def test_valid_complex_forms_pass_the_publish_check():
    assert check_definition(expense_form()) == []
    assert check_definition(complaint_form()) == []
    assert check_definition(ADDRESS_FORM) == []


def problems_of(*components):
    return [(p["path"], p["component_id"], p["message_zh"], p["message_en"])
            for p in check_definition(form_of(*components))]


def test_feel_outside_the_subset_is_refused_at_publish():
    problems = problems_of(
        {"type": "dynamiclist", "path": "items", "id": "list", "components": [
            field("textfield", "note", conditional={"hide": "=if a then b else c"}),
        ]})
    assert problems == [(
        "items[].note", "c_note",
        ("隐藏条件无法在服务器端计算：不支持「if」（第 2 个字符）："
         "隐藏条件只能使用比较、and/or/not、字段引用和常量"),
        ("the hide condition cannot be evaluated on the server: “if” (position 2) is not "
         "supported: a hide condition may use only comparisons, and/or/not, field references "
         "and literals"),
    )]


def test_hide_conditions_must_be_expressions():
    problems = problems_of(field("textfield", "a", conditional={"hide": 'kind = "x"'}),
                           field("textfield", "b", conditional={"hide": 3}),
                           {"type": "group", "id": "g", "conditional": {"hide": "=count(x) >"},
                            "components": []})
    assert [(p[0], p[1]) for p in problems] == [("a", "c_a"), ("b", "c_b"), ("", "g")]
    assert "必须以 = 开头" in problems[0][2]
    assert "表达式不完整" in problems[2][2] and "ends too early" in problems[2][3]


def test_duplicate_and_clashing_keys():
    problems = problems_of(
        field("textfield", "a"), field("number", "a"),
        field("textfield", "contact"),
        {"type": "group", "path": "contact", "id": "g", "components": [field("textfield", "phone")]},
        {"type": "dynamiclist", "path": "items", "id": "l1", "components": [
            field("textfield", "a"),  # a list item is its own namespace
            field("textfield", "b"), field("textfield", "b"),
        ]},
    )
    assert [(p[0], p[2]) for p in problems] == [
        ("a", "字段键「a」与组件「c_a」重复"),
        ("contact.phone", "字段键「contact.phone」与组件「c_contact」重复"),
        ("items[].b", "字段键「items[].b」与组件「c_b」重复"),
    ]


@pytest.mark.parametrize("component,zh,en", [
    (field("textfield", validate={"pattern": "([a-"}), "正则表达式「([a-」无效",
     "not a valid regular expression"),
    (field("number", validate={"min": 10, "max": 1}), "最小值（10）大于最大值（1）",
     "min (10) is greater than max (1)"),
    (field("textfield", validate={"minLength": 8, "maxLength": 4}), "最小长度（8）大于最大长度（4）",
     "minLength (8) is greater than maxLength (4)"),
    (field("number", validate={"min": "ten"}), "校验规则 min 的值「ten」不是数字", "is not a number"),
    (field("select"), "select 组件没有可选项", "has no options"),
    (field("radio", values=[]), "radio 组件没有可选项", "has no options"),
    (field("checklist", values="abc"), "checklist 组件没有可选项", "has no options"),
    ({"type": "signature", "key": "s", "id": "c_s"}, "未知的组件类型「signature」", "unknown component type"),
    ({"type": "textfield", "label": "无键", "id": "c_f"}, "textfield 组件缺少字段键（key）", "has no key"),
    ({"type": "dynamiclist", "id": "c_f", "components": []}, "动态列表缺少路径（path）", "has no path"),
])
def test_definition_problems(component, zh, en):
    [problem] = check_definition(form_of(component))
    assert zh in problem["message_zh"] and en in problem["message_en"]
    assert problem["component_id"] == component["id"]


def test_rules_that_publish_accepts():
    assert problems_of(field("number", validate={"min": "=lower", "max": 1}),
                       field("select", "s", valuesKey="options"),
                       field("textfield", "t", validate={"pattern": "=pattern"}),
                       field("number", "n", validate={"min": 1, "max": 1})) == []


@pytest.mark.parametrize("form", [None, [], {"components": "x"}, {"type": "default"}])
def test_not_a_form_definition(form):
    [problem] = check_definition(form)
    assert "components" in problem["message_zh"]


def test_components_that_are_not_objects():
    [problem] = check_definition({"components": ["text"]})
    assert problem["message_en"] == "a component must be a JSON object"
