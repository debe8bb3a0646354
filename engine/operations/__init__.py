"""Task and case operations a Chinese BPM user expects (DOMAIN §1–2), one module per family.

Each operation is permission-checked by the API, checked against the node's allowed operations
(:mod:`engine.operations.allowed`), and recorded in the event log with actor, time and reason.

- ``allowed``      which operations a node offers and which a user may apply to a task now
- ``handover``     签收/退签 (claim/unclaim), 转办 (transfer), 委派 (delegate) and its resolution
- ``signing``      加签 before/after and 减签 (signers added to one task, outside the workflow state)
- ``copies``       抄送 and the "抄送我的" list
- ``urging``       催办
- ``going_back``   退回 to an earlier node, 撤回 (take back before the next person acts)
- ``countersign``  会签 modes of multi-instance user tasks: all, any (或签), ratio, sequential (依次)
- ``case_control`` suspend / resume, terminate, 撤件
- ``duplicates``   duplicate detection on report and merge (重复案件)
- ``approvals``    延期 and 挂账 requests and their approval
- ``supervision``  督办
- ``records``      the tables these operations keep (抄送, approval requests)
"""
