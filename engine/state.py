"""Serialising a workflow's *state* only: its spec is cached per definition version.

SpiffWorkflow's serializer writes the whole spec into every snapshot; we write
the task tree, data and events and re-attach the cached spec on load.
"""
from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.script_engine import SCRIPT_ENGINE

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
_REGISTRY = _SERIALIZER.registry
# Re-registering the stock converter hands us the instance whose helpers we reuse.
_CONVERTER = BpmnWorkflowConverter(BpmnWorkflow, _REGISTRY)
FORMAT = "citybpm-state/1"


def dump_state(workflow: BpmnWorkflow) -> str:
    _REGISTRY._encoder_mode = False
    dct = WorkflowConverter.to_dict(_CONVERTER, workflow)
    dct["subprocesses"] = _CONVERTER.mapping_to_dict(workflow.subprocesses)
    dct["bpmn_events"] = _REGISTRY.convert(workflow.bpmn_events)
    dct["format"] = FORMAT
    return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))


def load_state(text: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    dct = json.loads(text)
    if dct.pop("format", None) != FORMAT:
        raise ValueError("unknown workflow state format")
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE, deserializing=True)
    workflow.tasks = _CONVERTER.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    _CONVERTER.set_default_attributes(workflow, dct)
    _CONVERTER.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = _REGISTRY.restore(dct.get("bpmn_events", []))
    return workflow


def new_workflow(spec, subprocess_specs: dict) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
