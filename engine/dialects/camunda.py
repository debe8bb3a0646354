"""Camunda Modeler / bpmn-js with the camunda moddle: ``camunda:assignee`` and friends."""
from engine.dialects._common import SHARED_ATTRIBUTES, read_attributes

NAMESPACE = "http://camunda.org/schema/1.0/bpmn"


# Camunda 7.x forms bound by reference: formRef (+ formRefBinding="version", formRefVersion="3")
FORM_REF = {"formRef": "form_key", "formRefVersion": "form_version"}


def read(node) -> dict:
    settings = read_attributes(node, NAMESPACE, FORM_REF)
    if node.get(f"{{{NAMESPACE}}}formRefBinding") not in (None, "version"):
        settings.pop("form_version", None)  # "latest" / "deployment": the newest published version
    settings.update(read_attributes(node, NAMESPACE, SHARED_ATTRIBUTES))
    return settings
