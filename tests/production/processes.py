"""Small processes the fault tests drive: each command writes state, task rows, events and timers together."""
from __future__ import annotations

from tests.api.test_definitions_api import upload

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
      'xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"')


def _process(process_id: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NS}>'
            f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>').encode()


# Three 受理员 tasks in a row, each with a deadline (warning and due timers); while the first is open a
# non-interrupting BPMN timer waits on it, so completing it also deletes a BPMN timer row.
CHAIN = _process("fault_chain", """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
<bpmn:userTask id="first" name="第一步" camunda:candidateGroups="acceptor" citybpm:timeLimit="accept"/>
<bpmn:boundaryEvent id="nudge" attachedToRef="first" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>"P3D"</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/>
<bpmn:userTask id="second" name="第二步" camunda:candidateGroups="acceptor" citybpm:timeLimit="accept"/>
<bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="third"/>
<bpmn:userTask id="third" name="第三步" camunda:candidateGroups="acceptor" citybpm:timeLimit="accept"/>
<bpmn:sequenceFlow id="f4" sourceRef="third" targetRef="end"/>
<bpmn:sequenceFlow id="f5" sourceRef="nudge" targetRef="nudged"/>
<bpmn:endEvent id="nudged"/>
<bpmn:endEvent id="end"/>""")

# One task, then the next: the race is over the first, and the second must be created exactly once.
PAIR = _process("fault_pair", """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
<bpmn:userTask id="first" name="受理" camunda:candidateGroups="acceptor" citybpm:timeLimit="accept"/>
<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/>
<bpmn:userTask id="second" name="复核" camunda:candidateGroups="acceptor" citybpm:timeLimit="accept"/>
<bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="end"/>
<bpmn:endEvent id="end"/>""")

# A case that waits two hours on an intermediate timer, then asks for a 回访 (as in test_scheduler_processes).
WAIT = _process("fault_wait", """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
<bpmn:intermediateCatchEvent id="wait">
  <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="visit"/>
<bpmn:userTask id="visit" name="回访" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f3" sourceRef="visit" targetRef="end"/>
<bpmn:endEvent id="end"/>""")


def deploy(admin, *processes: bytes) -> None:
    for content in processes:
        response = upload(admin, content)
        assert response.status_code in (200, 201), response.text


def start_cases(base_url: str, authorization: str, process_key: str, count: int, threads: int = 8) -> list[dict]:
    """Start ``count`` cases through the API from a few threads; returns the started cases (with open_tasks)."""
    from tests.production.servers import client_with, run_threads

    started: list[dict] = []

    def starter(share: int):
        client = client_with(base_url, authorization)
        for _ in range(share):
            started.append(client.ok("POST", "/cases", 201, json={"process_key": process_key}))

    shares = [count // threads + (1 if n < count % threads else 0) for n in range(threads)]
    run_threads(starter, [(share,) for share in shares if share])
    return started
