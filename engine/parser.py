"""The BPMN/DMN parser: SpiffWorkflow's Camunda parser plus what citybpm reads.

Every parsed task spec gets a ``citybpm`` attribute holding its NodeConfig
(assignment, form, stage, limits) whatever dialect the file was written in,
and timer expressions are normalised so bare ISO 8601 values written by
Camunda Modeler and bpmn-js work unchanged.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from engine.ast_lock import AST_LOCK
from engine.dialects import camunda, citybpm, flowable
from engine.node_config import NodeConfig, read_node_config
from engine.timer_expressions import normalize_timer_expression

# The completion condition of a 会签 node (citybpm:signMode): set by engine.operations.countersign
SIGN_DONE_VARIABLE = "citybpm_sign_done"

NAMESPACES = {
    **CamundaParser().namespaces,
    "camunda": camunda.NAMESPACE,
    "flowable": flowable.NAMESPACE,
    "citybpm": citybpm.NAMESPACE,
}


class CityProcessParser(ProcessParser):
    def parse_node(self, node):
        already = node.get("id") in self.spec.task_specs
        task_spec = super().parse_node(node)
        if not already:
            # With boundary events the parser returns a split wrapper; the node's own spec has its id.
            own_spec = self.spec.task_specs.get(node.get("id"), task_spec)
            own_spec.citybpm = read_node_config(node, self._lane_of(node))
            # a multi-instance node's instances run a "<id> [child]" spec: they are the node for people
            child_spec = self.spec.task_specs.get(f"{node.get('id')} [child]")
            if child_spec is not None:
                child_spec.citybpm = own_spec.citybpm
                if own_spec.citybpm.sign_mode and isinstance(own_spec, MultiInstanceTask):
                    # 会签: engine.operations.countersign decides and leaves its decision in this variable
                    own_spec.condition = SIGN_DONE_VARIABLE
            _normalise_timer(own_spec)
        return task_spec

    def _lane_of(self, node):
        lanes = node.getroottree().xpath(
            "//bpmn:lane[bpmn:flowNodeRef = $node_id]", namespaces=NAMESPACES, node_id=node.get("id"))
        return lanes[0] if lanes else None


def _normalise_timer(task_spec) -> None:
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition) and definition.expression:
        definition.expression = normalize_timer_expression(definition.expression)


class PassThroughTask(NoneTask):
    """A plain ``bpmn:task`` runs straight through, as in Camunda and Flowable.

    SpiffWorkflow makes it wait for a person; our counters (返工) and automatic
    stage markers (评价归档) are plain tasks, and people work on user tasks only.
    """

    @property
    def manual(self):
        return False

    @manual.setter
    def manual(self, _value):
        pass


class CityParser(CamundaParser):
    PROCESS_PARSER_CLASS = CityProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("task"): (CamundaTaskParser, PassThroughTask),
    }

    def __init__(self):
        super().__init__(namespaces=NAMESPACES)

    # SpiffWorkflow's parsers check DMN cells and conditions with ast.parse: one parse at a time (engine.ast_lock)
    def get_spec(self, process_id, required=True):
        with AST_LOCK:
            return super().get_spec(process_id, required)

    def get_subprocess_specs(self, name, specs=None, require_call_activity_specs=True):
        with AST_LOCK:
            return super().get_subprocess_specs(name, specs, require_call_activity_specs)

    def get_engine(self, decision_ref, node):
        with AST_LOCK:
            return super().get_engine(decision_ref, node)


def node_config(task_spec) -> NodeConfig:
    """The NodeConfig of a spec; engine-made specs (start, end joins) get an empty one."""
    return getattr(task_spec, "citybpm", None) or NodeConfig(node_id=task_spec.name)
