"""engine.pruning: history pruning keeps workflows small *and* working.

Every test drives a fixture from tests/fixtures/pruning/ one user action at a time; after each action it prunes,
checks the tree's invariants, round-trips the workflow through the serializer (to_dict/from_dict and
serialize_json/deserialize_json, comparing every task) and carries on with the restored workflow.
The default PythonScriptEngine evaluates the fixtures' conditions: acceptable here only because the fixtures are
ours.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.pruning import prune_history

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pruning"
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))


# --------------------------------------------------------------------------------------------------- helpers


def load(name: str):
    parser = CamundaParser()
    parser.add_bpmn_file(str(FIXTURES / f"{name}.bpmn"))
    return parser.get_spec(name), parser.get_subprocess_specs(name)


def all_workflows(wf: BpmnWorkflow):
    return [wf, *wf.subprocesses.values()]


def check_tree(wf: BpmnWorkflow) -> None:
    """Structural invariants SpiffWorkflow and its serializer rely on."""
    all_ids = set()
    for sub in all_workflows(wf):
        all_ids.update(sub.tasks)
    for sub in all_workflows(wf):
        tasks = sub.tasks
        root = sub.task_tree
        assert root.id in tasks and root._parent is None
        order = {tid: i for i, tid in enumerate(tasks)}
        for task in tasks.values():
            assert task.workflow is sub
            for child_id in task._children:
                assert child_id in tasks, f"{task} has a dangling child"
                assert tasks[child_id]._parent == task.id
            if task is not root:
                assert task._parent in tasks, f"{task} has a dangling parent"
                assert task.id in tasks[task._parent]._children
                # the deserializer rebuilds data deltas in dict order: parents must come first
                assert order[task._parent] < order[task.id]
        reachable = list(root)  # TaskIterator over the whole tree
        assert len({t.id for t in reachable if t.workflow is sub}) == len(tasks)
        assert sub.last_task is None or sub.last_task.id in tasks
    for task_id in wf.subprocesses:
        assert task_id in all_ids, "subprocess of a removed task left behind"
    for task_id, task in wf.event_manager.tasks.items():
        assert task_id in all_ids, "event manager holds a removed task"


def snapshot(wf: BpmnWorkflow) -> dict:
    def one(sub):
        return {
            "last_task": sub.last_task.id if sub.last_task is not None else None,
            "data": sub.data,
            "tasks": {
                tid: (t._parent, list(t._children), t.state, t.task_spec.name, t.triggered, t.data, t.internal_data)
                for tid, t in sub.tasks.items()
            },
        }

    return {"top": one(wf), "subprocesses": {k: one(v) for k, v in wf.subprocesses.items()}}


def roundtrip(wf: BpmnWorkflow) -> BpmnWorkflow:
    before = snapshot(wf)
    dct = json.loads(json.dumps(SERIALIZER.to_dict(wf)))
    restored = SERIALIZER.from_dict(dct)
    assert snapshot(restored) == before
    restored = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(restored))
    assert snapshot(restored) == before
    check_tree(restored)
    return restored


class Driver:
    """Runs a fixture the way the engine will: act, engine steps, prune, store, load."""

    def __init__(self, name: str, prune: bool = True, keep=None, data=None):
        spec, subprocess_specs = load(name)
        self.prune = prune
        self.keep = keep  # callable returning task ids to keep
        self.removed = 0
        self.wf = BpmnWorkflow(spec, subprocess_specs)
        self.wf.task_tree.data.update(data or {})
        self.wf.do_engine_steps()
        self.settle()

    def settle(self) -> None:
        if self.prune:
            self.removed += prune_history(self.wf, keep=self.keep() if self.keep else ())
            check_tree(self.wf)
            self.wf = roundtrip(self.wf)

    def ready_tasks(self):
        return self.wf.get_tasks(state=TaskState.READY, manual=True)

    def ready(self) -> list[str]:
        return sorted(t.task_spec.name for t in self.ready_tasks())

    def complete(self, name: str, **data) -> None:
        matches = [t for t in self.ready_tasks() if t.task_spec.name == name]
        assert len(matches) == 1, f"expected one READY {name}, have {self.ready()}"
        self.complete_task(matches[0], **data)

    def complete_task(self, task, **data) -> None:
        task.data.update(data)
        task.run()
        self.wf.do_engine_steps()
        self.settle()

    def fire_timers(self) -> None:
        # a fired timer only runs on the next step
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        self.settle()

    def count(self, spec_name: str, state=TaskState.ANY_MASK) -> int:
        return sum(
            1 for sub in all_workflows(self.wf) for t in sub.tasks.values()
            if t.task_spec.name == spec_name and t.has_state(state)
        )

    def json_size(self) -> int:
        return len(json.dumps(SERIALIZER.to_dict(self.wf)))


class FakeNow:
    """Drives SpiffWorkflow's timer module (it reads ``datetime.now``)."""

    def __init__(self, monkeypatch, now: datetime):
        self.now = now
        fake = self

        class _Datetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return fake.now if tz is None else fake.now.astimezone(tz)

        monkeypatch.setattr(spiff_timer, "datetime", _Datetime)


# --------------------------------------------------------------------------------------------------- loop


def test_rework_loop_200_times_stays_bounded_and_keeps_data():
    d = Driver("loop")
    sizes, max_tasks = {}, 0
    for i in range(1, 201):
        data = {"count": i, "limit": 1000, "last_note": f"note {i}"}
        if i == 1:
            data["first_note"] = "set in the first iteration"
        d.complete("edit", **data)
        max_tasks = max(max_tasks, len(d.wf.tasks))
        sizes[i] = d.json_size()
        assert d.ready() == ["edit"]
    assert max_tasks < 30
    assert sizes[200] <= 1.2 * sizes[10]
    assert d.removed >= 3 * 199
    (edit,) = d.ready_tasks()
    assert edit.data["first_note"] == "set in the first iteration"
    assert edit.data["count"] == 200 and edit.data["last_note"] == "note 200"

    d.complete("edit", count=201, limit=201)
    assert d.ready() == ["finish"]
    d.complete("finish")
    assert d.wf.is_completed()
    assert d.wf.data["first_note"] == "set in the first iteration"


def test_unpruned_loop_grows_and_pruning_a_long_history_at_once_works():
    d = Driver("loop", prune=False)
    for i in range(1, 121):
        d.complete("edit", count=i, limit=1000)
    assert len(d.wf.tasks) > 3 * 120  # the problem this module exists for
    (edit,) = d.ready_tasks()
    expected = dict(edit.data)
    removed = prune_history(d.wf)
    assert removed > 3 * 119 and len(d.wf.tasks) < 30
    check_tree(d.wf)
    d.wf = roundtrip(d.wf)
    (edit,) = d.ready_tasks()
    assert edit.data == expected
    assert prune_history(d.wf) == 0  # idempotent
    d.prune = True
    d.complete("edit", count=121, limit=121)
    d.complete("finish")
    assert d.wf.is_completed()


def test_long_loop_past_spiffworkflow_depth_limit_keeps_running():
    # TaskIterator stops at depth 1000: unpruned, a three-task loop stalls after ~333 turns.
    d = Driver("loop")
    for i in range(1, 401):
        d.complete("edit", count=i, limit=1000)
    assert d.ready() == ["edit"]


def test_last_task_is_never_pruned():
    d = Driver("loop", prune=False)
    for i in range(1, 4):
        d.complete("edit", count=i, limit=1000)
    first_edit = next(t for t in d.wf.get_tasks(spec_name="edit") if t.state == TaskState.COMPLETED)
    d.wf.last_task = first_edit  # whatever SpiffWorkflow points it at stays valid
    prune_history(d.wf)
    check_tree(d.wf)
    assert d.wf.last_task is first_edit and first_edit.id in d.wf.tasks
    d.wf = roundtrip(d.wf)
    assert d.wf.last_task.id == first_edit.id


def test_last_task_stays_valid():
    d = Driver("loop")
    for i in range(1, 6):
        d.complete("edit", count=i, limit=1000)
        last = d.wf.last_task
        assert last is not None and last.id in d.wf.tasks
        assert last.state == TaskState.COMPLETED


# --------------------------------------------------------------------------------------------------- parallel


def test_parallel_join_waits_for_pruned_branches_and_fires_once():
    d = Driver("parallel_loop")
    d.complete("task_a", count=1, limit=1, from_a="A")
    assert d.ready() == ["task_b", "task_c"]
    # A's branch is finished; its join instance is WAITING: pruning must not lose A's token
    d.complete("task_b", from_b="B")
    assert d.ready() == ["task_c"]
    assert d.count("join", TaskState.CANCELLED) >= 1  # A's (or B's) token, kept for the join
    d.complete("task_c", from_c="C")
    assert d.ready() == ["after_join"]
    assert d.count("after_join", TaskState.READY) == 1
    (after,) = d.ready_tasks()
    assert {after.data[k] for k in ("from_a", "from_b", "from_c")} == {"A", "B", "C"}
    d.complete("after_join")
    assert d.wf.is_completed()


def test_live_tasks_keep_their_parents_tokens_and_data(monkeypatch):
    # A waiting join instance needs its own parent (its token), and a waiting timer re-inherits its parent's data
    # on every refresh: neither may be re-attached to an older ancestor, even when it is no longer the last task.
    clock = FakeNow(monkeypatch, T0)
    d = Driver("parallel_wait", data={"x": 1, "wake_at": "2026-03-02T12:00:00+08:00"})
    d.complete("set_x", x=2)
    assert len(d.wf.waiting_events()) == 1
    d.complete("z")
    d.complete("y1")
    d.fire_timers()  # not due: the timer is only refreshed (and re-inherits its parent's data)
    (wait,) = [t for t in d.wf.get_tasks(spec_name="wait") if t.state == TaskState.WAITING]
    assert wait.data["x"] == 2
    d.complete("y2")
    assert d.ready() == []
    clock.now = T0 + timedelta(hours=4)
    d.fire_timers()
    assert d.ready() == ["after"]
    (after,) = d.ready_tasks()
    assert after.data["x"] == 2
    d.complete("after")
    assert d.wf.is_completed()


@pytest.mark.parametrize("orders", [
    ["abc", "cba", "bca", "acb"],
    ["bac", "abc", "cab", "cab"],
])
def test_parallel_join_in_loop_does_not_fire_early_from_earlier_iterations(orders):
    d = Driver("parallel_loop")
    for turn, order in enumerate(orders, start=1):
        assert d.ready() == ["task_a", "task_b", "task_c"]
        for n, branch in enumerate(order):
            # new keys each turn: SpiffWorkflow merges parallel branches key by key and the last branch merged
            # overwrites keys that existed before the split (see test_pruning_does_not_change_join_data)
            d.complete(f"task_{branch}", count=turn, limit=len(orders), **{f"seen_{branch}_{turn}": True})
            if n < 2:
                assert "after_join" not in d.ready(), f"join fired early in turn {turn}"
        assert d.ready() == ["after_join"]
        (after,) = d.ready_tasks()
        assert all(after.data[f"seen_{b}_{turn}"] for b in "abc")
        d.complete("after_join")
    assert d.wf.is_completed()
    assert len(d.wf.tasks) < 30


@pytest.mark.parametrize("order", ["abc", "cba", "bac"])
def test_pruning_does_not_change_join_data(order):
    # Differential check against raw SpiffWorkflow, with the same completion order every turn (the case raw
    # SpiffWorkflow gets right). Note what it shows: a branch's update to a key that existed before the split
    # survives only if that branch is merged last.
    results = {}
    for prune in (False, True):
        d = Driver("parallel_loop", prune=prune)
        merged = []
        for turn in (1, 2, 3):
            for branch in order:
                d.complete(f"task_{branch}", count=turn, limit=3, **{f"seen_{branch}": turn})
            (after,) = d.ready_tasks()
            merged.append(dict(after.data))
            d.complete("after_join")
        assert d.wf.is_completed()
        results[prune] = merged
    assert results[True] == results[False]


def test_without_pruning_spiffworkflow_fires_a_looping_join_early():
    # Documents the SpiffWorkflow 3.2 bug that pruning after every step fixes: the cancelled join instance
    # left from turn 1 counts as an arrived token in turn 2. If this starts failing, SpiffWorkflow fixed it.
    d = Driver("parallel_loop", prune=False)
    for branch in "abc":
        d.complete(f"task_{branch}", count=1, limit=2)
    d.complete("after_join")
    d.complete("task_c")
    d.complete("task_b")
    assert "after_join" in d.ready()  # fired although task_a of turn 2 is still open


# --------------------------------------------------------------------------------------------------- inclusive


@pytest.mark.parametrize("plan", [
    [("abc", "bac"), ("ac", "ca"), ("b", "b"), ("abc", "cab")],
    [("ab", "ba"), ("abc", "acb"), ("c", "c")],
])
def test_inclusive_join_with_pruning_waits_for_the_chosen_branches(plan):
    d = Driver("inclusive_loop")
    for turn, (wanted, order) in enumerate(plan, start=1):
        flags = {f"want_{b}": b in wanted for b in "abc"}
        d.complete("choose", count=turn, limit=len(plan), **flags)
        assert d.ready() == sorted(f"task_{b}" for b in wanted)
        for n, branch in enumerate(order):
            d.complete(f"task_{branch}", **{f"done_{branch}_{turn}": True})
            if n < len(order) - 1:
                assert "after_join" not in d.ready(), f"inclusive join fired early in turn {turn}"
        assert d.ready() == ["after_join"]
        (after,) = d.ready_tasks()
        assert {b for b in "abc" if after.data.get(f"done_{b}_{turn}")} == set(wanted)
        d.complete("after_join")
    assert d.wf.is_completed()
    assert len(d.wf.tasks) < 30


# --------------------------------------------------------------------------------------------------- multi-instance


def test_parallel_multi_instance_collects_output_with_pruning_between_completions():
    d = Driver("multi_instance")
    d.complete("prepare", depts=["roads", "water", "parks"])
    instances = d.ready_tasks()
    assert sorted(t.task_spec.name for t in instances) == ["countersign [child]"] * 3
    by_dept = {t.data["dept"]: t.id for t in instances}
    assert set(by_dept) == {"roads", "water", "parks"}
    for dept in ("parks", "roads", "water"):  # not in creation order
        task = d.wf.get_task_from_id(by_dept[dept])
        assert task.state == TaskState.READY
        d.complete_task(task, dept=f"{dept}: agreed")
        if dept != "water":
            assert d.count("countersign [child]", TaskState.READY) == 2 - ["parks", "roads"].index(dept)
            assert "review [child]" not in d.ready()
            # the finished instances stay while the multi-instance task runs
            assert d.count("countersign [child]", TaskState.COMPLETED) == ["parks", "roads"].index(dept) + 1
    assert d.ready() == ["review [child]"]
    (review,) = d.ready_tasks()
    assert review.data["depts"] == ["roads: agreed", "water: agreed", "parks: agreed"]
    assert d.count("countersign [child]") == 0  # and go once it has finished


def test_sequential_multi_instance_collects_output_with_pruning_between_completions():
    d = Driver("multi_instance")
    d.complete("prepare", depts=["roads"])
    d.complete("countersign [child]", dept="roads: agreed")
    seen = []
    for n in range(3):
        assert d.ready() == ["review [child]"], f"instance {n}"
        (task,) = d.ready_tasks()
        seen.append(task.data["review"])
        d.complete_task(task, review=f"opinion {n}")
    assert seen == [0, 1, 2]
    assert d.ready() == ["close"]
    (close,) = d.ready_tasks()
    assert close.data["reviews"] == ["opinion 0", "opinion 1", "opinion 2"]
    assert close.data["depts"] == ["roads: agreed"]
    d.complete("close")
    assert d.wf.is_completed()


# --------------------------------------------------------------------------------------------------- timers


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
REMIND_AT = "2026-03-02T12:00:00+08:00"  # 04:00 UTC
DUE = "2026-03-03T09:00:00+08:00"  # next day 01:00 UTC


def start_boundary(monkeypatch) -> tuple[Driver, FakeNow]:
    clock = FakeNow(monkeypatch, T0)
    d = Driver("boundary_timers")
    d.complete("prepare", remind_at=REMIND_AT, due=DUE)
    assert d.ready() == ["work"]
    assert len(d.wf.waiting_events()) == 2
    d.fire_timers()  # nothing due yet; prune and round trip while both timers wait
    assert d.ready() == ["work"]
    assert len(d.wf.waiting_events()) == 2
    return d, clock


def test_non_interrupting_timer_fires_after_pruning_and_work_continues(monkeypatch):
    d, clock = start_boundary(monkeypatch)
    clock.now = T0 + timedelta(hours=4)
    d.fire_timers()
    assert d.ready() == ["remind", "work"]
    assert len(d.wf.waiting_events()) == 1  # the deadline still waits
    d.complete("remind")
    assert d.ready() == ["work"]
    d.complete("work", result="done")
    assert d.ready() == ["after_work"]
    assert d.wf.waiting_events() == []  # completing the task cancelled the deadline
    clock.now = T0 + timedelta(days=2)
    d.fire_timers()
    assert d.ready() == ["after_work"]  # a cancelled timer never fires
    d.complete("after_work")
    assert d.wf.is_completed()
    assert d.count("escalate") == 0


def test_interrupting_timer_fires_after_pruning_and_cancels_the_task(monkeypatch):
    d, clock = start_boundary(monkeypatch)
    clock.now = T0 + timedelta(days=1, minutes=1)
    d.fire_timers()
    # both were due; the deadline interrupts the work (and the reminder with it)
    assert "escalate" in d.ready() and "work" not in d.ready()
    assert d.wf.waiting_events() == []
    for name in [n for n in d.ready() if n != "escalate"]:
        d.complete(name)
    d.complete("escalate")
    assert d.ready() == []
    assert d.wf.is_completed()
    assert d.count("after_work", TaskState.COMPLETED) == 0


def test_completing_the_task_cancels_both_timers(monkeypatch):
    d, clock = start_boundary(monkeypatch)
    d.complete("work")
    assert d.ready() == ["after_work"]
    assert d.wf.waiting_events() == []
    clock.now = T0 + timedelta(days=3)
    d.fire_timers()
    assert d.ready() == ["after_work"]
    d.complete("after_work")
    assert d.wf.is_completed()
    assert d.count("remind") == 0 and d.count("escalate") == 0


def test_timer_due_in_the_past_fires_after_pruning(monkeypatch):
    FakeNow(monkeypatch, T0)
    d = Driver("boundary_timers")
    d.complete("prepare", remind_at="2026-01-01T00:00:00+08:00", due="2026-01-02T00:00:00+08:00")
    d.fire_timers()
    assert "escalate" in d.ready() and "work" not in d.ready()


# --------------------------------------------------------------------------------------------------- subprocess


def test_loop_inside_embedded_subprocess_is_pruned_and_parent_continues():
    d = Driver("subprocess_loop")
    steps = 40
    for round_no in (1, 2, 3):
        for i in range(1, steps + 1):
            data = {"count": i, "limit": steps, "round": round_no, "rounds": 3}
            if round_no == 1 and i == 1:
                data["first_note"] = "from the first step"
            d.complete("step", **data)
            if i < steps:
                assert d.ready() == ["step"]
                (sub,) = d.wf.get_active_subprocesses()
                assert len(sub.tasks) < 20
        assert d.ready() == ["after_sub"]
        (after,) = d.ready_tasks()
        assert after.data["count"] == steps and after.data["round"] == round_no
        assert after.data["first_note"] == "from the first step"
        assert len(d.wf.subprocesses) <= 1  # finished subprocesses of earlier rounds are gone
        d.complete("after_sub")
    assert d.wf.is_completed()
    assert d.wf.data["first_note"] == "from the first step"


# --------------------------------------------------------------------------------------------------- reset


def test_reset_to_a_kept_task_after_pruning():
    kept: list = []
    d = Driver("loop", keep=lambda: kept)
    for i in range(1, 6):
        (edit,) = d.ready_tasks()
        if i == 3:
            kept.append(edit.id)
            expected = dict(edit.data)  # what the task had before it ran: its parent's data
        d.complete_task(edit, count=i, limit=1000)
    target = d.wf.get_task_from_id(kept[0])
    assert target.state == TaskState.COMPLETED
    d.wf.reset_from_task_id(target.id)
    d.wf.do_engine_steps()
    d.settle()
    (edit,) = d.ready_tasks()
    assert edit.id == kept[0]
    assert edit.data == expected
    kept.clear()
    d.complete("edit", count=10, limit=10)
    d.complete("finish")
    assert d.wf.is_completed()


def test_reset_to_a_pruned_task_is_not_possible():
    d = Driver("loop")
    (first,) = d.ready_tasks()
    d.complete("edit", count=1, limit=1000)
    d.complete("edit", count=2, limit=1000)
    with pytest.raises(TaskNotFoundException):
        d.wf.reset_from_task_id(first.id)


def test_reset_to_a_kept_task_with_boundary_timers_rearms_them(monkeypatch):
    FakeNow(monkeypatch, T0)
    kept: list = []
    d = Driver("boundary_timers", keep=lambda: kept)
    d.complete("prepare", remind_at=REMIND_AT, due=DUE)
    (work,) = d.ready_tasks()
    kept.append(work.id)
    d.complete("work", result="first")
    assert d.ready() == ["after_work"] and d.wf.waiting_events() == []
    d.wf.reset_from_task_id(work.id)
    d.wf.do_engine_steps()
    d.settle()
    assert d.ready() == ["work"]
    assert len(d.wf.waiting_events()) == 2
    (again,) = d.ready_tasks()
    assert "result" not in again.data and again.data["due"] == DUE
    d.complete("work", result="second")
    d.complete("after_work")
    assert d.wf.is_completed()
