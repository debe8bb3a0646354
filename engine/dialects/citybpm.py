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
    # issue 6: dispatch variants and task operations
    "set": "assignments",        # "var = expr; var2 = expr" evaluated (sandboxed) before the node runs
    "reportTo": "report_to",     # a 协办 task: its submission is added to the open task with this node id
    "proposal": "proposal",      # "chosen=proposed, …": a submission differing from the proposal is recorded
    "signMode": "sign_mode",     # 会签 on a multi-instance user task: all | any | ratio | sequential
    "signRatio": "sign_ratio",   # for signMode="ratio": the share of agreeing signers that completes the node
    "returnTargets": "return_targets",  # comma list of node ids a 退回 from this node may go back to
    "operations": "operations",  # comma list of operation codes the node offers (流程配置 may override)
    # issue 7: law enforcement
    "document": "document",      # 文书 type code: completing the node issues that numbered document
}


def read(node) -> dict:
    return read_attributes(node, NAMESPACE, OWN_ATTRIBUTES)
