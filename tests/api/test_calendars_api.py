"""Work calendars over HTTP: admins edit, everyone reads and checks the maths.

The database is shared by the whole session: each test works on its own calendar code and
never changes the default calendar (flows compute their deadlines with it).
"""
from __future__ import annotations

import pytest


def create(admin, code: str, **body) -> dict:
    return admin.ok("POST", "/calendars", 201, json={"code": code, "name": f"测试日历 {code}", **body})


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def fields_of(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def test_admin_creates_a_calendar_with_the_2026_holidays(api):
    admin = api("admin")
    detail = create(admin, "api_create", holiday_years=[2026])
    assert [(s["name"], s["start"], s["end"]) for s in detail["seasons"]] == [
        ("夏季", "05-01", "09-30"), ("冬季", "10-01", "04-30")]
    assert detail["seasons"][1]["windows"]["1"] == [["08:30", "12:00"], ["14:00", "17:00"]]
    assert detail["hours_per_work_day"] == 8 and detail["is_default"] is False
    assert detail["windows"]["6"] == []  # the current season's Saturday

    listed = api("sly").get("/calendars", params={"page_size": 100})
    assert listed.status_code == 200 and "X-Pagination" in listed.headers
    assert "api_create" in [c["code"] for c in listed.json()]

    february = api("sly").ok("GET", "/calendars/api_create/days", params={"start": "2026-02-01", "end": "2026-02-28"})
    by_day = {d["day"]: d for d in february}
    assert (by_day["2026-02-14"]["kind"], by_day["2026-02-14"]["weekday"]) == ("workday", 6)
    assert by_day["2026-02-28"]["kind"] == "workday"
    assert {d for d, row in by_day.items() if row["kind"] == "holiday"} == {
        "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23"}
    assert all(row["source"] == "seed" and row["seeded"] is None for row in february)


def test_anyone_logged_in_computes_due_and_elapsed_times(api):
    create(api("admin"), "api_compute", holiday_years=[2026])
    sly = api("sly")
    due = sly.ok("POST", "/calendars/api_compute/compute",
                 json={"start": "2026-02-14T15:00:00+08:00", "amount": 1, "unit": "work_days"})
    assert due == {"unit": "work_days", "unit_name": "工作日", "due": "2026-02-24T16:30:00+08:00"}
    elapsed = sly.ok("POST", "/calendars/api_compute/compute",
                     json={"start": "2026-02-13T16:00:00+08:00", "end": "2026-02-14T10:30:00+08:00",
                           "unit": "work_hours"})
    assert elapsed["elapsed"] == 3
    paused = sly.ok("POST", "/calendars/api_compute/compute", json={
        "start": "2026-04-30T09:00:00+08:00", "amount": 5, "unit": "work_hours",
        "pauses": [{"begin": "2026-04-30T14:00:00+08:00", "end": "2026-05-06T10:00:00+08:00"}]})
    assert paused["due"] == "2026-05-06T12:00:00+08:00"
    still_paused = sly.ok("POST", "/calendars/api_compute/compute", json={
        "start": "2026-04-30T09:00:00+08:00", "amount": 5, "unit": "work_hours",
        "pauses": [{"begin": "2026-04-30T11:00:00+08:00"}]})
    assert still_paused["due"] is None
    urgent = sly.ok("POST", "/calendars/api_compute/compute",
                    json={"start": "2026-02-13T22:00:00+08:00", "amount": 4, "unit": "urgent_hours"})
    assert (urgent["due"], urgent["unit_name"]) == ("2026-02-14T02:00:00+08:00", "紧急工作时")


def test_an_override_changes_the_maths_and_deleting_it_restores_the_seeded_day(api):
    admin = api("admin")
    create(admin, "api_override", holiday_years=[2026])
    compute = {"start": "2026-09-30T17:00:00+08:00", "amount": 1, "unit": "work_hours"}
    assert admin.ok("POST", "/calendars/api_override/compute", json=compute)["due"] == "2026-10-08T09:00:00+08:00"

    row = admin.ok("PUT", "/calendars/api_override/days/2026-10-07", json={"kind": "workday", "name": "国庆值守"})
    assert (row["kind"], row["name"], row["source"], row["seeded"]["kind"]) == (
        "workday", "国庆值守", "admin", "holiday")
    assert admin.ok("POST", "/calendars/api_override/compute", json=compute)["due"] == "2026-10-07T09:00:00+08:00"

    assert admin.request("DELETE", "/calendars/api_override/days/2026-10-07").status_code == 204
    restored = admin.ok("GET", "/calendars/api_override/days", params={"start": "2026-10-07", "end": "2026-10-07"})
    assert [(d["kind"], d["source"]) for d in restored] == [("holiday", "seed")]
    assert admin.ok("POST", "/calendars/api_override/compute", json=compute)["due"] == "2026-10-08T09:00:00+08:00"
    problem(admin.request("DELETE", "/calendars/api_override/days/2026-10-07"), 404)

    admin.ok("PUT", "/calendars/api_override/days/2026-03-10", json={"kind": "holiday", "name": "停电检修"})
    assert admin.request("DELETE", "/calendars/api_override/days/2026-03-10").status_code == 204
    assert admin.ok("GET", "/calendars/api_override/days", params={"start": "2026-03-10", "end": "2026-03-10"}) == []


def test_seasons_can_be_replaced_by_one_week_of_windows(api):
    admin = api("admin")
    before = create(admin, "api_seasons")
    windows = {str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(1, 6)}
    after = admin.ok("PUT", "/calendars/api_seasons/seasons", json={"windows": windows})
    assert [s["name"] for s in after["seasons"]] == ["全年"] and after["current_season"] == "全年"
    assert after["windows"]["1"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert after["revision"] > before["revision"]
    due = admin.ok("POST", "/calendars/api_seasons/compute",
                   json={"start": "2026-03-02T11:00:00+08:00", "amount": 2, "unit": "work_hours"})
    assert due["due"] == "2026-03-02T14:00:00+08:00"
    renamed = admin.ok("PATCH", "/calendars/api_seasons", json={"name": "改名后的日历", "hours_per_work_day": 7.5})
    assert (renamed["name"], renamed["hours_per_work_day"]) == ("改名后的日历", 7.5)


def test_only_admins_change_calendars(api):
    create(api("admin"), "api_roles")
    sly = api("sly")
    assert problem(sly.post("/calendars", json={"code": "api_roles_2", "name": "x"}), 403)["code"] == "forbidden"
    problem(sly.request("PUT", "/calendars/api_roles/days/2026-03-10", json={"kind": "holiday"}), 403)
    problem(sly.request("PUT", "/calendars/api_roles/seasons", json={"windows": {}}), 403)
    problem(sly.request("PATCH", "/calendars/api_roles", json={"name": "x"}), 403)
    problem(sly.request("DELETE", "/calendars/api_roles/days/2026-03-10"), 403)
    assert sly.ok("GET", "/calendars/api_roles")["code"] == "api_roles"
    problem(api().get("/calendars"), 401)


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/calendars/nowhere", None),
    ("GET", "/calendars/nowhere/days?start=2026-01-01&end=2026-01-31", None),
    ("PUT", "/calendars/nowhere/days/2026-03-10", {"kind": "holiday"}),
    ("PUT", "/calendars/nowhere/seasons", {"windows": {"1": [["08:30", "12:00"]]}}),
    ("POST", "/calendars/nowhere/compute", {"start": "2026-03-02T09:00:00+08:00", "amount": 1, "unit": "work_hours"}),
])
def test_unknown_calendars_are_404(api, method, path, body):
    body = problem(api("admin").request(method, path, json=body), 404)
    assert body["code"] == "not_found" and "nowhere" in body["detail"]


def test_a_code_is_taken_once(api):
    create(api("admin"), "api_twice")
    assert problem(api("admin").post("/calendars", json={"code": "api_twice", "name": "again"}), 409)["code"] == \
        "calendar_exists"


def test_bad_dates_windows_and_instants_are_422_with_field_errors(api):
    admin = api("admin")
    create(admin, "api_bad")
    cases = [
        (admin.request("PUT", "/calendars/api_bad/days/2026-13-01", json={"kind": "holiday"}), "day"),
        (admin.request("PUT", "/calendars/api_bad/days/tomorrow", json={"kind": "holiday"}), "day"),
        (admin.request("PUT", "/calendars/api_bad/days/2026-03-10", json={"kind": "half"}), "kind"),
        (admin.get("/calendars/api_bad/days", params={"start": "2026-01-01", "end": "2028-06-01"}), "end"),
        (admin.get("/calendars/api_bad/days", params={"start": "2026-02-01", "end": "2026-01-01"}), "end"),
        (admin.get("/calendars/api_bad/days", params={"start": "2026-02-01"}), "end"),
        (admin.request("PUT", "/calendars/api_bad/seasons", json={"seasons": [
            {"name": "夏季", "start": "05-01", "end": "09-30", "windows": {}}]}), "seasons"),
        (admin.request("PUT", "/calendars/api_bad/seasons", json={"seasons": [
            {"name": "全年", "start": "01-01", "end": "02-30", "windows": {}}]}), "seasons.0.end"),
        (admin.request("PUT", "/calendars/api_bad/seasons", json={"windows": {
            "1": [["08:30", "12:00"], ["11:00", "13:00"]]}}), "windows.1"),
        (admin.request("PUT", "/calendars/api_bad/seasons", json={"windows": {"1": [["8:30", "12:00"]]}}),
         "windows.1.0"),
        (admin.request("PUT", "/calendars/api_bad/seasons", json={}), "seasons"),
        (admin.post("/calendars", json={"code": "api_bad_tz", "name": "x", "timezone": "Mars/Olympus"}), "timezone"),
        (admin.post("/calendars/api_bad/compute",
                    json={"start": "2026-03-02T09:00:00", "amount": 1, "unit": "work_hours"}), "start"),
        (admin.post("/calendars/api_bad/compute",
                    json={"start": "2026-03-02T09:00:00+08:00", "unit": "work_hours"}), "amount"),
        (admin.post("/calendars/api_bad/compute",
                    json={"start": "2026-03-02T09:00:00+08:00", "amount": 1, "unit": "fortnights"}), "unit"),
        (admin.post("/calendars/api_bad/compute", json={
            "start": "2026-03-02T09:00:00+08:00", "amount": 1, "unit": "work_hours",
            "pauses": [{"begin": "2026-03-03T09:00:00+08:00", "end": "2026-03-02T09:00:00+08:00"}]}), "pauses.0.end"),
        (admin.post("/calendars/api_bad/compute",
                    json={"start": "9999-12-30T09:00:00+08:00", "amount": 30, "unit": "natural_days"}), "amount"),
    ]
    for response, field in cases:
        body = problem(response, 422)
        assert field in fields_of(body), (response.request.method, response.request.url, body)


def test_errors_speak_english_on_request(api):
    admin = api("admin")
    create(admin, "api_english")
    response = admin.request("PUT", "/calendars/api_english/days/2026-02-30", json={"kind": "holiday"},
                             headers={"Accept-Language": "en"})
    body = problem(response, 422)
    assert body["errors"][0]["message"].startswith("date must be YYYY-MM-DD")
    chinese = problem(admin.request("PUT", "/calendars/api_english/days/2026-02-30", json={"kind": "holiday"}), 422)
    assert chinese["errors"][0]["message"].startswith("日期格式应为")


def test_the_openapi_document_lists_the_calendar_endpoints(api):
    paths = api().ok("GET", "/openapi.json")["paths"]
    for path in ("/api/v1/calendars", "/api/v1/calendars/{code}", "/api/v1/calendars/{code}/seasons",
                 "/api/v1/calendars/{code}/days", "/api/v1/calendars/{code}/days/{day}",
                 "/api/v1/calendars/{code}/compute"):
        assert path in paths
