"""退回 and 撤回 keep working after many loops with history pruning on, and the state stays bounded."""
from __future__ import annotations

import sqlalchemy as sa

from api.extensions import db
from tests.api.case_ops_helpers import case, deploy, start

LOOP = """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="填报" camunda:candidateGroups="acceptor"/>
<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shift_leader"/>
<bpmn:exclusiveGateway id="again" default="f_done"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="review"/>
<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="again"/>
<bpmn:sequenceFlow id="f_again" sourceRef="again" targetRef="fill">
  <bpmn:conditionExpression>review_result == "again"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_done" sourceRef="again" targetRef="end"/>
"""


def state_size(app, case_id: int) -> int:
    with app.app_context():
        return db.session.execute(sa.text("SELECT length(state) FROM process_instance WHERE id = :i"),
                                  {"i": case_id}).scalar()


def loop(api, case_no: str, times: int) -> None:
    for i in range(times):
        api("sly").complete(case_no, "fill", {"round": i})
        api("zbz").complete(case_no, "review", {"review_result": "again"})


def test_return_and_withdraw_after_many_loops(api, app):
    deploy(api, "gb_loop", LOOP)
    started = start(api, "gb_loop")
    case_no = started["case_no"]
    loop(api, case_no, 10)
    at_ten = state_size(app, started["id"])
    loop(api, case_no, 30)
    assert state_size(app, started["id"]) <= at_ten * 1.2  # pruned: one kept task per node, not per turn

    api("sly").complete(case_no, "fill", {"round": 40})
    review = api("zbz").task_for(case_no, "review")
    api("zbz").ok("POST", f"/tasks/{review['id']}/claim")
    targets = api("zbz").ok("GET", f"/tasks/{review['id']}/return-targets")
    assert [(t["node_id"], t["completed_by"]) for t in targets] == [("fill", "sly")]
    api("zbz").ok("POST", f"/tasks/{review['id']}/return", json={"target": "fill", "reason": "第 40 轮材料不全"})
    fill = api("sly").task_for(case_no, "fill")
    assert fill["assignee"] == "sly"
    assert api("sly").ok("GET", f"/tasks/{fill['id']}")["data"]["round"] == 40

    api("sly").complete(case_no, "fill", {"round": 41})
    fill_id = api("sly").ok("GET", "/tasks/done")[0]["task_id"]
    api("sly").ok("POST", f"/tasks/{fill_id}/withdraw", json={"reason": "再改一下"})
    assert [t["node_id"] for t in case(api, case_no)["open_tasks"]] == ["fill"]

    api("sly").complete(case_no, "fill", {"round": 42})
    api("zbz").complete(case_no, "review", {"review_result": "done"})
    assert case(api, case_no)["status"] == "completed"
