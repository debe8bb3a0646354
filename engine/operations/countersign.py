"""会签 modes of a multi-instance user task (``citybpm:signMode``).

Each signer submits ``agree`` (boolean) and an ``opinion``. The modes (as in 钉钉/飞书 approvals):

- ``all``        every signer must agree; the first 不同意 ends the node as failed;
- ``any``        或签: the first signer decides for everyone;
- ``ratio``      passes once ``citybpm:signRatio`` of all signers agreed; fails once that share can no longer be
                 reached;
- ``sequential`` 依次: one signer after the other (``isSequential="true"``), each must agree, a 不同意 ends it.

SpiffWorkflow's completionCondition knows no ``nrOfCompletedInstances``: :func:`on_submit`, called by
``Engine.complete_task`` before the instance runs, counts the votes of the finished instances, decides, and writes
the decision into the instance's data, where the completion condition the parser gave the node
(:data:`engine.parser.SIGN_DONE_VARIABLE`) reads it. SpiffWorkflow then cancels the remaining instances itself
(recorded as ``task.cancelled`` by the projection). The node leaves ``<node>_passed``, ``<node>_votes`` (signer →
agree, opinion), ``<node>_agreed`` and ``<node>_total`` for the gateways after it.
"""
from __future__ import annotations

import math

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidData
from engine.node_config import SIGN_MODES
from engine.parser import SIGN_DONE_VARIABLE, node_config

AGREE, OPINION = "agree", "opinion"


def _multi_instance_parent(task):
    parent = task.parent
    if parent is not None and isinstance(parent.task_spec, MultiInstanceTask) \
            and parent.task_spec.task_spec == task.task_spec.name:
        return parent
    return None


def _planned(mi) -> int:
    """How many signers the node has in all (a sequential node creates them one at a time)."""
    instances = [c for c in mi.children if c.task_spec.name == mi.task_spec.task_spec]
    if not isinstance(mi.task_spec, SequentialMultiInstanceTask):
        return len(instances)
    if "cardinality" in mi.internal_data:
        return int(mi.internal_data["cardinality"])
    return len(instances) + len(mi.internal_data.get("remaining", []))


def decide(mode: str, ratio: float | None, total: int, agreed: int, voted: int, last_agree: bool) -> bool | None:
    """True: passed, False: failed, None: wait for more signers."""
    if mode == "any":
        return last_agree
    if mode in ("all", "sequential"):
        if not last_agree:
            return False
        return True if voted >= total else None
    needed = math.ceil(round((ratio or 1.0) * total, 9))
    if agreed >= needed:
        return True
    if agreed + (total - voted) < needed:
        return False
    return None


def on_submit(task, data: dict, actor: str, case_id: int, step, *, automatic: bool = False) -> None:
    """Count this signer's vote in; when the node is decided, say so to its completion condition."""
    mode = node_config(task.task_spec).sign_mode
    mi = _multi_instance_parent(task) if mode in SIGN_MODES else None
    if mi is None:
        return
    agree = data.get(AGREE)
    if not isinstance(agree, bool):
        if not automatic:
            raise InvalidData({AGREE: "请选择同意或不同意"}, {AGREE: "choose agree (true) or disagree (false)"})
        agree = False  # the engine completes an overdue signer: no agreement was given
    node = node_config(task.task_spec).node_id
    # one vote per instance, not per person: a transfer may leave one person holding two instances
    votes = {}
    for other in mi.children:
        if other is not task and other.task_spec is task.task_spec and other.state == TaskState.COMPLETED:
            vote = other.data.get("citybpm_vote")
            if vote:
                votes[str(other.id)] = vote
    this_vote = {"signer": actor, "agree": agree, "opinion": data.get(OPINION) or ""}
    votes[str(task.id)] = this_vote
    total, agreed = _planned(mi), sum(1 for v in votes.values() if v["agree"])
    decision = decide(mode, node_config(task.task_spec).sign_ratio, total, agreed, len(votes), agree)
    result = {f"{node}_votes": {v["signer"]: {"agree": v["agree"], "opinion": v["opinion"]} for v in votes.values()},
              f"{node}_agreed": agreed, f"{node}_total": total, f"{node}_passed": bool(decision)}
    task.data.update(result, citybpm_vote=this_vote, **{SIGN_DONE_VARIABLE: decision is not None})
    # also on the node itself: an output collection (dataOutput) stops SpiffWorkflow from merging instance data
    mi.data.update(result)
    step.record(case_id, "countersign.voted", task_id=str(task.id), node_id=node, agree=agree,
                opinion=this_vote["opinion"], mode=mode)
    if decision is not None:
        step.record(case_id, "countersign.decided", node_id=node, mode=mode, passed=decision, agreed=agreed,
                    voted=len(votes), total=total)
