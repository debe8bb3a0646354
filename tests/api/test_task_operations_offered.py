"""The operations a task's detail offers are exactly those that succeed, and 流程配置 narrows them per node."""
from __future__ import annotations

import pytest

from tests.api.test_task_handover import codes, deploy, start
from tests.helpers import ApiClient

HANDOVER = {"claim", "unclaim", "transfer", "delegate", "complete", "add_sign", "remove_sign", "cc", "resolve"}

# how to apply each operation to a task sly holds (or may take), and what success answers
APPLY = {
    "claim": ("claim", None),
    "unclaim": ("unclaim", {"reason": "退回"}),
    "transfer": ("transfer", {"to": "rx", "reason": "转给二组"}),
    "delegate": ("delegate", {"to": "rx", "reason": "请协助"}),
    "complete": ("complete", {"data": {}}),
    "add_sign": ("add-signers", {"users": ["zbz"], "position": "before", "reason": "会商"}),
    "cc": ("cc", {"users": ["sw"], "note": "知悉"}),
}


def apply(api, user, task_id, code):
    path, body = APPLY[code]
    return api(user).post(f"/tasks/{task_id}/{path}", json=body if body is not None else {})


@pytest.fixture(scope="module")
def process(server):
    return deploy(server, "op_two_steps")


@pytest.fixture(scope="module")
def narrowed(server):
    key = deploy(server, "op_narrowed")
    ApiClient(server).login("admin").ok("PUT", f"/processes/{key}/nodes/work/settings",
                                        json={"allowed_operations": ["claim", "complete"]})
    return key


def test_an_unclaimed_task_offers_claim_complete_and_cc_and_nothing_else_of_holding_it(api, process):
    _case_no, task_id = start(api, process)
    offered = codes(api, "sly", task_id) & HANDOVER
    assert offered == {"claim", "complete", "cc"}
    for code in ("unclaim", "transfer", "delegate", "add_sign"):
        assert apply(api, "sly", task_id, code).status_code == 409, code
    detail = api("sly").ok("GET", f"/tasks/{task_id}", headers={"Accept-Language": "en"})
    names = {o["code"]: (o["name"], o["name_zh"]) for o in detail["operations"]}
    assert names["claim"] == ("claim", "签收")


def test_a_claimed_task_offers_what_its_holder_may_do(api, process):
    _case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    assert codes(api, "sly", task_id) & HANDOVER == {"unclaim", "transfer", "delegate", "complete", "add_sign", "cc"}
    # another candidate, now that sly holds it, sees nothing (409 on the detail, as on any operation)
    assert api("rx").get(f"/tasks/{task_id}").status_code == 409


@pytest.mark.parametrize("code", sorted(APPLY))
def test_each_offered_operation_succeeds(api, process, code):
    _case_no, task_id = start(api, process)
    if code != "claim":
        api("sly").ok("POST", f"/tasks/{task_id}/claim")
    assert code in codes(api, "sly", task_id)
    response = apply(api, "sly", task_id, code)
    assert response.status_code == 200, response.text


def test_node_configuration_narrows_the_operations_and_refuses_the_others(api, narrowed):
    _case_no, task_id = start(api, narrowed)
    assert codes(api, "sly", task_id) & HANDOVER == {"claim", "complete"}
    refused = apply(api, "sly", task_id, "cc")
    assert refused.status_code == 403 and refused.json()["code"] == "operation_not_allowed"
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    assert codes(api, "sly", task_id) & HANDOVER == {"complete"}
    for code in ("unclaim", "transfer", "delegate", "add_sign", "cc"):
        response = apply(api, "sly", task_id, code)
        assert response.status_code == 403 and response.json()["code"] == "operation_not_allowed", code
    # whoever may not see the task learns nothing more (access is checked before the node's offer)
    assert apply(api, "sw", task_id, "transfer").status_code == 404
    assert apply(api, "sly", task_id, "complete").status_code == 200
