"""Flowable's modeler: the same attribute names as Camunda in Flowable's namespace."""
from engine.dialects._common import SHARED_ATTRIBUTES, read_attributes

NAMESPACE = "http://flowable.org/bpmn"
# Activiti-era files still in circulation use this one.
ACTIVITI_NAMESPACE = "http://activiti.org/bpmn"


def read(node) -> dict:
    settings = read_attributes(node, ACTIVITI_NAMESPACE, SHARED_ATTRIBUTES)
    settings.update(read_attributes(node, NAMESPACE, SHARED_ATTRIBUTES))
    return settings
