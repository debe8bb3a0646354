"""GET /cases lists exactly the cases each person may see. The list filter (api.visibility.cases_listed_for: ``id IN``
a union of indexed sets) must agree with the per-case filter (cases_visible_to: an OR of EXISTS) for everyone: the
reporter, the people who worked a case, the candidates of an open task, a 抄送 recipient, and each data scope."""
from __future__ import annotations

from sqlalchemy import select

from api.extensions import db
from api.visibility import cases_listed_for, cases_visible_to
from engine.identity import User
from engine.models import Instance
from engine.rbac import grants_for
from tests.api.test_closed_loop_flow import file_and_dispatch, report


def _drive_cases(api) -> dict[str, str]:
    at_accept = report(api)["case_no"]  # an open 受理 task for the acceptors
    water = report(api, description="井盖缺失")["case_no"]
    file_and_dispatch(api, water, department="D_WATER")
    roads = report(api, reporter="jdy", description="路面坑洼")["case_no"]
    file_and_dispatch(api, roads, department="D_ROADS")
    task = api("sz").task_for(roads, "handle")
    api("sz").ok("POST", f"/tasks/{task['id']}/cc", json={"users": ["sw"], "note": "请知悉"})  # 抄送 to another unit
    return {"at_accept": at_accept, "water": water, "roads": roads}


def test_every_user_lists_exactly_the_cases_they_may_see(api, app):
    cases = _drive_cases(api)
    with app.app_context():
        users = db.session.scalars(select(User).where(User.is_active.is_(True))).all()
        checked = 0
        for user in users:
            actor = user.actor()
            _, scope = grants_for(db.session.connection(), actor.roles)
            for data_scope in {scope, "self", "org", "org_tree"}:
                listed = set(db.session.scalars(select(Instance.case_no).where(cases_listed_for(actor, data_scope))))
                visible = set(db.session.scalars(select(Instance.case_no).where(cases_visible_to(actor, data_scope))))
                assert listed == visible, (user.username, data_scope)
                checked += bool(listed)
        assert checked > 10  # most people see something: the comparison is not between empty sets
    # what the sources contribute, over HTTP
    def listed(username):
        return {c["case_no"] for c in api(username).ok("GET", "/cases", params={"page_size": 100})}

    assert set(cases.values()) <= listed("jdy")  # the reporter
    assert cases["at_accept"] in listed("sly")  # a candidate of the open 受理 task (and the acceptor of the others)
    assert cases["roads"] in listed("sw") and cases["water"] in listed("sw")  # a copy; his department's case
    assert cases["roads"] not in listed("hw")  # another department, no part in it
