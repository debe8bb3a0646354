"""Shared steps of the enforcement flow tests: starting cases, working tasks, firing timers on the virtual clock."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import sessionmaker

from api.extensions import db
from engine.firing import TimerFirer

PARTY = {"party_name": "某某餐饮店", "party_id_no": "110101199001011234", "party_address": "示范路 1 号",
         "location": "示范路 1 号门前", "cause_name": "店外经营", "facts": "在店铺门窗外摆摊经营"}


def start(api, process_key: str, variables: dict, user: str = "zf"):
    return api(user).request("POST", "/cases", json={"process_key": process_key, "variables": variables})


def open_nodes(api, case_no: str) -> list[str]:
    return sorted(t["node_id"] for t in api("admin").ok("GET", f"/cases/{case_no}")["open_tasks"])


def case(api, case_no: str) -> dict:
    return api("admin").ok("GET", f"/cases/{case_no}")


def variables(api, case_no: str) -> dict:
    return case(api, case_no)["variables"]


def field_errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def fire_timers(app, virtual_clock, advance: dt.timedelta) -> None:
    """Move the virtual clock and fire what is due, as the scheduler would."""
    virtual_clock.advance(advance)
    with app.app_context():
        TimerFirer(app.extensions["citybpm_engine"], sessionmaker(bind=db.engine, expire_on_commit=False)
                   ).fire_due(virtual_clock.now())


def events(api, case_no: str) -> list[dict]:
    return api("admin").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
