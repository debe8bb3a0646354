"""Candidate resolution from every dialect, and case numbers."""
from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from engine import clock
from engine.assignment import resolve
from engine.case_number_patterns import BadPattern, check_pattern
from engine.node_config import NodeConfig, read_node_config

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:flowable="http://flowable.org/bpmn" '
      'xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn"')


def node(attributes: str):
    return etree.fromstring(f'<bpmn:userTask {NS} id="t" name="任务" {attributes}/>')


def test_camunda_flowable_and_citybpm_read_the_same_settings():
    camunda = read_node_config(node('camunda:assignee="${initiator}" camunda:formKey="f" '
                                    'camunda:candidateGroups="acceptor, org:${department}"'))
    flowable = read_node_config(node('flowable:assignee="${initiator}" flowable:formKey="f" '
                                     'flowable:candidateGroups="acceptor, org:${department}"'))
    assert camunda == flowable
    assert camunda.candidate_groups == ("acceptor", "org:${department}")
    own = read_node_config(node('camunda:formKey="f" citybpm:formKey="g" citybpm:stage="handle" '
                                'citybpm:timeLimit="T_HANDLE"'))
    assert (own.form_key, own.stage, own.time_limit) == ("g", "handle", "T_HANDLE")


def test_lane_names_the_role_when_the_task_names_nobody():
    lane = etree.fromstring(f'<bpmn:lane {NS} id="l" name="受理员" citybpm:role="acceptor"/>')
    config = read_node_config(node(""), lane)
    assert resolve(config, {}).candidates == (("role", "acceptor"),)
    unnamed_role = etree.fromstring(f'<bpmn:lane {NS} id="l" name="shift_leader"/>')
    assert resolve(read_node_config(node(""), unnamed_role), {}).candidates == (("role", "shift_leader"),)


def test_expressions_resolve_against_task_data():
    config = NodeConfig(node_id="t", assignee="${initiator}", candidate_users=("${reviewers}",),
                        candidate_groups=("acceptor", "org:${department}"))
    assignment = resolve(config, {"initiator": "jdy", "reviewers": ["a", "b"], "department": "D_WATER"})
    assert assignment.assignee == "jdy"
    assert assignment.candidates == (("user", "a"), ("user", "b"), ("role", "acceptor"), ("org", "D_WATER"))


@pytest.mark.parametrize("pattern", ["{prefix}{date.__class__}{seq}", "{prefix}{date:%Y}", "{x}{seq}",
                                     "{seq[0]}", "{prefix",
                                     # would render a gigabyte, or take the width from the prefix
                                     "{prefix}{date:%Y%m%d}{seq:0999999999d}", "{prefix:>999999999}{seq}",
                                     "{prefix}{date:%Y%m%d}{seq:{prefix}}"])
def test_case_number_patterns_are_checked(pattern):
    with pytest.raises(BadPattern):
        check_pattern(pattern)


def test_default_pattern_formats_prefix_date_and_sequence():
    day = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.timezone.utc)  # already 3 March in Shanghai
    assert "{prefix}{date:%Y%m%d}{seq:04d}".format(
        prefix="CG", date=day.astimezone(clock.DEFAULT_TZ), seq=7) == "CG202603030007"
