"""Form validation benchmark: the schema generated from a form-js definition against a hand-written one.

A 60-field case form (案件登记与处置: text, numbers, selects, radios, dates, times, datetimes,
files, checkboxes, a checklist and a taglist, a reporter group with a ``path``, a field shown
only when the reason is "other") is validated two ways in the same process:

- generated: ``forms.validation.validate_submission(form, data)``, what the API runs per
  submission: cache lookup by the definition's content, hide conditions, marshmallow load;
- hand-written: ``CaseSchema().validate(data)``, the same fields and validators written out with
  marshmallow's own field classes, the conditional field as a ``@validates_schema`` rule.

Both run ``--iterations`` validations per round, alternating, best of ``--rounds``.
Last line: ``generated_vs_handwritten: <ratio>`` (target ≤ 1.5).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from forms.schema_builder import build_schema
from forms.validation import validate_submission

SOURCES = ["supervisor", "hotline_12345", "hotline_12319", "wechat", "video_ai", "iot"]
URGENCY = ["normal", "urgent", "critical"]
DISTRICTS = ["dongcheng", "xicheng", "chaoyang", "haidian", "fengtai", "shijingshan"]
REASONS = ["damage", "missing", "occupation", "pollution", "other"]
TAGS = ["night", "school_zone", "repeat", "media", "leader_attention"]
DEPARTMENTS = ["D_WATER", "D_ROADS", "D_SANITATION", "D_GREEN", "D_ENFORCE"]
WEATHER = ["sunny", "cloudy", "rain", "snow"]
YES_NO = ["yes", "no"]
RESULTS = ["pass", "fail"]

PHONE = r"^\+?[0-9][0-9 \-]{4,19}$"


# -- the form-js definition --------------------------------------------------------------------------

def _options(values):
    return [{"label": v, "value": v} for v in values]


def _c(ctype, key, label, **extra):
    component = {"type": ctype, "key": key, "label": label, "id": f"f_{key}"}
    component.update(extra)
    return component


def _req(**rules):
    return {"validate": {"required": True, **rules}}


def case_form() -> dict:
    basic = [
        _c("textfield", "case_title", "案件标题", **_req(maxLength=100)),
        _c("select", "source", "信息来源", values=_options(SOURCES), **_req()),
        _c("radio", "category_type", "问题类型", values=_options(["part", "event"]), **_req()),
        _c("textfield", "category_code", "问题类别编码", **_req(pattern="^[0-9]{4,8}$")),
        _c("select", "urgency", "紧急程度", values=_options(URGENCY), **_req()),
        _c("select", "district", "所属区", values=_options(DISTRICTS), **_req()),
        _c("textfield", "street", "街道", **_req(maxLength=50)),
        _c("textfield", "community", "社区", validate={"maxLength": 50}),
        _c("textfield", "grid_code", "单元网格编码", validate={"pattern": "^[0-9]+$", "maxLength": 32}),
        _c("textfield", "address", "问题地址", **_req(maxLength=200)),
        _c("number", "longitude", "经度", validate={"min": -180, "max": 180}),
        _c("number", "latitude", "纬度", validate={"min": -90, "max": 90}),
        _c("textarea", "description", "问题描述", **_req(minLength=5, maxLength=2000)),
        _c("datetime", "found_at", "发现时间", subtype="datetime", dateLabel="发现时间", **_req()),
        _c("datetime", "report_date", "上报日期", subtype="date", dateLabel="上报日期", **_req()),
        _c("filepicker", "photos", "现场照片", multiple=True, accept="image/*"),
        _c("checkbox", "is_repeat", "重复上报"),
        _c("select", "reason", "问题原因", values=_options(REASONS), **_req()),
        _c("textfield", "other_reason", "其他原因", **_req(maxLength=200),
           conditional={"hide": '=reason != "other"'}),
        _c("checklist", "tags", "标签", values=_options(TAGS)),
    ]
    reporter = {"type": "group", "id": "g_reporter", "label": "上报人", "path": "reporter",
                "components": [
                    _c("textfield", "name", "姓名", **_req(maxLength=50)),
                    _c("textfield", "phone", "联系电话", **_req(validationType="phone")),
                    _c("textfield", "email", "电子邮箱", validate={"validationType": "email"}),
                    _c("radio", "id_type", "证件类型", values=_options(["id_card", "passport"])),
                    _c("checkbox", "anonymous", "匿名"),
                ]}
    handling = [
        _c("select", "department", "处置部门", values=_options(DEPARTMENTS), **_req()),
        _c("textfield", "assignee", "处置人", validate={"maxLength": 50}),
        _c("number", "deadline_hours", "处置时限（小时）", **_req(min=1, max=720)),
        _c("datetime", "deadline_date", "截止日期", subtype="date", dateLabel="截止日期"),
        _c("textarea", "handle_measures", "处置措施", validate={"maxLength": 2000}),
        _c("number", "affected_people", "影响人数", validate={"min": 0, "max": 100000}),
        _c("number", "affected_area", "影响面积（平方米）", validate={"min": 0}),
        _c("number", "estimated_cost", "预估费用（元）", serializeToString=True,
           validate={"min": 0, "max": 10000000}),
        _c("checkbox", "needs_coordination", "需要协同"),
        _c("taglist", "coordinating_departments", "协同部门", values=_options(DEPARTMENTS)),
        _c("datetime", "visit_time", "回访时间", subtype="time", timeLabel="回访时间"),
        _c("select", "weather", "天气", values=_options(WEATHER)),
        _c("checkbox", "road_closed", "道路封闭"),
        _c("radio", "traffic_impact", "影响交通", values=_options(YES_NO)),
        _c("number", "hazard_level", "危险等级", **_req(min=0, max=5)),
        _c("textfield", "supervisor_id", "监督员编号", validate={"pattern": "^S[0-9]{6}$"}),
        _c("textfield", "supervisor_name", "监督员姓名", validate={"maxLength": 50}),
        _c("textfield", "video_channel", "视频通道", validate={"maxLength": 64}),
        _c("textfield", "iot_device_id", "物联设备编号", validate={"maxLength": 64}),
        _c("number", "iot_reading", "设备读数"),
        _c("textfield", "hotline_ticket", "热线工单号", validate={"pattern": "^[0-9A-Z-]+$"}),
        _c("textfield", "wechat_openid", "微信用户", validate={"maxLength": 64}),
    ]
    stages = []
    for stage, label in (("verify", "核实"), ("accept", "受理"), ("register", "立案"),
                         ("check", "核查")):
        stages.append(_c("radio", f"{stage}_result", f"{label}结果", values=_options(RESULTS)))
        stages.append(_c("textarea", f"{stage}_opinion", f"{label}意见",
                         validate={"maxLength": 1000}))
    stages += [
        _c("datetime", "verify_at", "核实时间", subtype="datetime", dateLabel="核实时间"),
        _c("textarea", "dispatch_opinion", "派遣意见", validate={"maxLength": 1000}),
        _c("textarea", "feedback_result", "处置结果", validate={"maxLength": 2000}),
        _c("datetime", "feedback_at", "反馈时间", subtype="datetime", dateLabel="反馈时间"),
        _c("textarea", "close_opinion", "结案意见", validate={"maxLength": 1000}),
    ]
    return {
        "type": "default", "id": "bench_case", "schemaVersion": 16,
        "components": [
            {"type": "text", "id": "intro", "text": "### 案件登记与处置"},
            {"type": "group", "id": "g_basic", "label": "基本信息", "components": basic},
            reporter,
            {"type": "separator", "id": "sep"},
            {"type": "group", "id": "g_handling", "label": "处置", "components": handling},
            *stages,
        ],
    }


def submission() -> dict:
    data = {
        "case_title": "东华门大街井盖缺失", "source": "hotline_12345", "category_type": "part",
        "category_code": "0101", "urgency": "urgent", "district": "dongcheng",
        "street": "东华门街道", "community": "多福巷社区", "grid_code": "110101001001001",
        "address": "东城区东华门大街 1 号", "longitude": 116.397, "latitude": 39.909,
        "description": "井盖缺失，存在行人跌落风险", "found_at": "2026-01-05T08:30:00+08:00",
        "report_date": "2026-01-05", "photos": ["file:3f2a", "file:9b1c"], "is_repeat": False,
        "reason": "missing", "tags": ["night", "school_zone"],
        "reporter": {"name": "张先生", "phone": "138 0000 0000", "email": "zhang@example.cn",
                     "id_type": "id_card", "anonymous": False},
        "department": "D_WATER", "assignee": "李工", "deadline_hours": 4,
        "deadline_date": "2026-01-06", "handle_measures": "设置围挡，更换井盖",
        "affected_people": 120, "affected_area": 12.5, "estimated_cost": "1860.50",
        "needs_coordination": True, "coordinating_departments": ["D_ROADS", "D_ENFORCE"],
        "visit_time": "09:30", "weather": "cloudy", "road_closed": False,
        "traffic_impact": "yes", "hazard_level": 3, "supervisor_id": "S000123",
        "supervisor_name": "王监督", "video_channel": "CAM-0231", "iot_device_id": "IOT-77",
        "iot_reading": 0.42, "hotline_ticket": "12345-20260105-0001",
        "wechat_openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        "verify_result": "pass", "verify_opinion": "属实", "verify_at": "2026-01-05T09:10:00+08:00",
        "accept_result": "pass", "accept_opinion": "同意受理",
        "register_result": "pass", "register_opinion": "立案",
        "dispatch_opinion": "派水务局处置", "feedback_result": "已更换井盖",
        "feedback_at": "2026-01-05T12:00:00+08:00",
        "check_result": "pass", "check_opinion": "核查通过", "close_opinion": "结案",
        # process variables travelling with the submission
        "case_no": "C-2026-000123", "initiator": "u_1001",
    }
    return data


# -- the same form, written out by hand ----------------------------------------------------------

def _text(required=False, **length):
    return fields.String(required=required, validate=validate.Length(**length) if length else None)


def _choice(values, required=False):
    return fields.String(required=required, validate=validate.OneOf(values))


class ReporterSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _text(required=True, max=50)
    phone = fields.String(required=True, validate=validate.Regexp(PHONE))
    email = fields.String(validate=validate.Email())
    id_type = _choice(["id_card", "passport"])
    anonymous = fields.Boolean()


class CaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    case_title = _text(required=True, max=100)
    source = _choice(SOURCES, required=True)
    category_type = _choice(["part", "event"], required=True)
    category_code = fields.String(required=True, validate=validate.Regexp("^[0-9]{4,8}$"))
    urgency = _choice(URGENCY, required=True)
    district = _choice(DISTRICTS, required=True)
    street = _text(required=True, max=50)
    community = _text(max=50)
    grid_code = fields.String(validate=[validate.Regexp("^[0-9]+$"), validate.Length(max=32)])
    address = _text(required=True, max=200)
    longitude = fields.Float(validate=validate.Range(-180, 180))
    latitude = fields.Float(validate=validate.Range(-90, 90))
    description = _text(required=True, min=5, max=2000)
    found_at = fields.DateTime(required=True)
    report_date = fields.Date(required=True)
    photos = fields.List(fields.String())
    is_repeat = fields.Boolean()
    reason = _choice(REASONS, required=True)
    other_reason = _text(max=200)
    tags = fields.List(fields.String(validate=validate.OneOf(TAGS)))
    reporter = fields.Nested(ReporterSchema, required=True)
    department = _choice(DEPARTMENTS, required=True)
    assignee = _text(max=50)
    deadline_hours = fields.Float(required=True, validate=validate.Range(1, 720))
    deadline_date = fields.Date()
    handle_measures = _text(max=2000)
    affected_people = fields.Float(validate=validate.Range(0, 100000))
    affected_area = fields.Float(validate=validate.Range(min=0))
    estimated_cost = fields.Decimal(as_string=True, validate=validate.Range(0, 10000000))
    needs_coordination = fields.Boolean()
    coordinating_departments = fields.List(fields.String(validate=validate.OneOf(DEPARTMENTS)))
    visit_time = fields.Time()
    weather = _choice(WEATHER)
    road_closed = fields.Boolean()
    traffic_impact = _choice(YES_NO)
    hazard_level = fields.Float(required=True, validate=validate.Range(0, 5))
    supervisor_id = fields.String(validate=validate.Regexp("^S[0-9]{6}$"))
    supervisor_name = _text(max=50)
    video_channel = _text(max=64)
    iot_device_id = _text(max=64)
    iot_reading = fields.Float()
    hotline_ticket = fields.String(validate=validate.Regexp("^[0-9A-Z-]+$"))
    wechat_openid = _text(max=64)
    verify_result = _choice(RESULTS)
    verify_opinion = _text(max=1000)
    accept_result = _choice(RESULTS)
    accept_opinion = _text(max=1000)
    register_result = _choice(RESULTS)
    register_opinion = _text(max=1000)
    check_result = _choice(RESULTS)
    check_opinion = _text(max=1000)
    verify_at = fields.DateTime()
    dispatch_opinion = _text(max=1000)
    feedback_result = _text(max=2000)
    feedback_at = fields.DateTime()
    close_opinion = _text(max=1000)

    @validates_schema(skip_on_field_errors=False)
    def other_reason_when_other(self, data, **kwargs):
        if data.get("reason") == "other" and not data.get("other_reason"):
            raise ValidationError("required", "other_reason")


# -- timing ----------------------------------------------------------------------------------------

def _time(run, data, iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        run(data)
    return time.perf_counter() - start


def _flat_keys(errors, prefix=""):
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from _flat_keys(value, path)
        else:
            yield path


def _count_inputs(components) -> int:
    count = 0
    for component in components:
        if component.get("type") in ("group", "dynamiclist"):
            count += _count_inputs(component["components"])
        elif component.get("key"):
            count += 1
    return count


def _best_of(runs: dict, data, rounds: int, iterations: int) -> dict[str, float]:
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():  # alternating, so drift hits every variant alike
            best[name] = min(best[name], _time(run, data, iterations))
    return {name: seconds / iterations * 1e6 for name, seconds in best.items()}  # µs per call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    form, data = case_form(), submission()
    inputs = _count_inputs(form["components"])
    compiled, handwritten = build_schema(form), CaseSchema()
    # the two schemas agree: both accept the submission, both refuse the same fields of a bad one
    assert inputs == 60, inputs
    assert validate_submission(form, data) == {} and handwritten.validate(data) == {}
    bad = {**data, "reason": "other", "latitude": 95, "source": "fax",
           "reporter": {"name": "张先生"}}
    expected = {"other_reason", "latitude", "source", "reporter.phone"}
    assert set(validate_submission(form, bad)) == expected, validate_submission(form, bad)
    assert set(_flat_keys(handwritten.validate(bad))) == expected, handwritten.validate(bad)

    runs = {"generated": lambda d: validate_submission(form, d),
            "compiled": compiled.validate, "handwritten": handwritten.validate}
    valid = _best_of(runs, data, args.rounds, args.iterations)
    invalid = _best_of(runs, bad, args.rounds, args.iterations)
    ratio = valid["generated"] / valid["handwritten"]
    print(f"validating a {inputs}-field submission, best of {args.rounds} × {args.iterations}: "
          f"generated {valid['generated']:.1f} µs (schema already compiled: "
          f"{valid['compiled']:.1f} µs), hand-written marshmallow {valid['handwritten']:.1f} µs "
          f"→ {ratio:.2f}×")
    print(f"with 4 refused fields: generated {invalid['generated']:.1f} µs, hand-written "
          f"{invalid['handwritten']:.1f} µs → {invalid['generated'] / invalid['handwritten']:.2f}×")
    print(f"compiled_vs_handwritten: {valid['compiled'] / valid['handwritten']:.2f}")
    print(f"generated_vs_handwritten: {ratio:.2f}")


if __name__ == "__main__":
    main()
