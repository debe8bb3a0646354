// Chinese (and English) names of the event log's types, for the case view's timeline.
export const EVENT_LABELS_ZH = {
  'case.started': '案件上报', 'case.stage_changed': '阶段变更', 'case.deadline_set': '设定结案时限', 'case.ended': '案件结束',
  'case.warning': '案件即将超时', 'case.overdue': '案件超时', 'case.suspend': '申请挂账', 'case.suspended': '挂账/暂停',
  'case.resumed': '恢复计时', 'case.terminated': '终止', 'case.withdrawn': '撤件', 'case.merged': '合并重复案件',
  'case.duplicate_merged': '并入重复案件', 'case.migrated': '迁移流程版本', 'case.copied': '抄送',
  'case.supervised': '督办', 'case.supervision_lifted': '解除督办',
  'task.created': '任务到达', 'task.claimed': '签收', 'task.unclaimed': '退签', 'task.completed': '办结',
  'task.auto_completed': '自动办结', 'task.cancelled': '任务取消', 'task.closed': '任务关闭', 'task.transferred': '转办',
  'task.delegated': '委派', 'task.resolved': '委派办理完成', 'task.returned': '退回', 'task.withdrawn': '撤回',
  'task.signers_added': '加签', 'task.signer_removed': '减签', 'task.sign_requested': '请求签署', 'task.signed': '签署',
  'task.sign_cancelled': '取消签署', 'task.signers_done': '加签完成', 'task.urged': '催办', 'task.reminded': '提醒',
  'task.reminder': '提醒', 'task.warning': '任务即将超时', 'task.overdue': '任务超时', 'task.extend': '延期',
  'task.extended': '延期', 'task.held': '挂起', 'task.unassigned': '取消分配', 'counter.incremented': '返工/回退计数',
  'approval.requested': '提交申请', 'approval.decided': '审批', 'timer.fired': '定时触发', 'timer.failed': '定时失败',
  'message.received': '收到消息', 'countersign.decided': '会签结果', 'document.issued': '制作文书',
};

export const EVENT_LABELS_EN = Object.fromEntries(Object.keys(EVENT_LABELS_ZH).map((type) => [type, type.replace(/[._]/g, ' ')]));
