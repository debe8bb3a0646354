"""Camunda Modeler / bpmn-js with the camunda moddle: ``camunda:assignee`` and friends."""
from engine.dialects._common import SHARED_ATTRIBUTES, read_attributes

NAMESPACE = "http://camunda.org/schema/1.0/bpmn"


def read(node) -> dict:
    return read_attributes(node, NAMESPACE, SHARED_ATTRIBUTES)
