"""citybpm's own namespace: what the modelers' namespaces lack."""
from engine.dialects._common import SHARED_ATTRIBUTES, read_attributes

NAMESPACE = "http://citybpm.dev/schema/1.0/bpmn"

OWN_ATTRIBUTES = {
    **SHARED_ATTRIBUTES,
    "formVersion": "form_version",  # pin the task's form to this published version
    "stage": "stage",            # closed-loop stage code of the node
    "timeLimit": "time_limit",   # time-limit standard (stage code) for the task (see engine.deadlines)
    "caseTimeLimit": "case_time_limit",  # the case-level deadline starts here, with this standard
    "increment": "increment",    # variable counted up each time the node runs (返工次数)
    "outcome": "outcome",        # how the case ends at this end event (结案, 作废 ...)
    "role": "role",              # on lanes: the role whose members work the lane
}


def read(node) -> dict:
    return read_attributes(node, NAMESPACE, OWN_ATTRIBUTES)
