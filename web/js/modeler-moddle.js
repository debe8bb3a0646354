// Moddle descriptors for the attributes the engine reads (processes/README.md, engine/dialects/*.py), so
// bpmn-js knows their types and writes them back under their own prefixes. Only what citybpm uses: the full
// camunda descriptor would offer designers settings the engine ignores.
// Always read and write them namespaced (bo.get('citybpm:stage')). citybpm:set is deliberately NOT declared:
// a declared property is stored under its local name, and `set` would overwrite the moddle element's set()
// method (bpmn-js then fails on the next edit). Undeclared, it lives in $attrs, and get/set still find it.

const attr = (name) => ({ name, isAttr: true, type: 'String' });

export const CITYBPM_URI = 'http://citybpm.dev/schema/1.0/bpmn';
export const CAMUNDA_URI = 'http://camunda.org/schema/1.0/bpmn';

export const citybpmDescriptor = {
  name: 'citybpm',
  uri: CITYBPM_URI,
  prefix: 'citybpm',
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    {
      // engine/dialects/citybpm.py OWN_ATTRIBUTES on flow nodes
      name: 'NodeSettings',
      isAbstract: true,
      extends: ['bpmn:FlowNode'],
      properties: ['stage', 'timeLimit', 'caseTimeLimit', 'increment', 'outcome', 'reportTo', 'proposal',
        'signMode', 'signRatio', 'returnTargets', 'operations', 'document', 'formVersion'].map(attr),
    },
    {
      // lanes name the role whose members work the lane
      name: 'LaneRole',
      isAbstract: true,
      extends: ['bpmn:Lane'],
      properties: [attr('role')],
    },
  ],
};

export const camundaDescriptor = {
  name: 'Camunda',
  uri: CAMUNDA_URI,
  prefix: 'camunda',
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    {
      name: 'Assignable',
      isAbstract: true,
      extends: ['bpmn:UserTask'],
      properties: ['assignee', 'candidateUsers', 'candidateGroups', 'dueDate'].map(attr),
    },
    {
      // SpiffWorkflow's Camunda parser reads the DMN decision a business rule task runs from here
      name: 'DecisionRef',
      isAbstract: true,
      extends: ['bpmn:BusinessRuleTask'],
      properties: [attr('decisionRef')],
    },
    {
      name: 'FormSupported',
      isAbstract: true,
      extends: ['bpmn:UserTask', 'bpmn:StartEvent'],
      properties: [attr('formKey')],
    },
  ],
};

export const moddleExtensions = { citybpm: citybpmDescriptor, camunda: camundaDescriptor };

// A new process: one pool-less executable process with a start event, as bpmn-js's own blank diagram.
export function blankDiagram(key, name) {
  const safeName = String(name || key).replace(/[<>&"]/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:camunda="${CAMUNDA_URI}"
                  xmlns:citybpm="${CITYBPM_URI}"
                  id="Definitions_${key}" targetNamespace="http://citybpm.dev/processes">
  <bpmn:process id="${key}" name="${safeName}" isExecutable="true">
    <bpmn:startEvent id="start" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_${key}">
    <bpmndi:BPMNPlane id="Plane_${key}" bpmnElement="${key}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}
