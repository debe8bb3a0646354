"""SpiffWorkflow's script engine, replaced by the expression-only evaluator.

The stock ``PythonScriptEngine`` runs ``eval``/``exec`` with full builtins.
Ours evaluates expressions through ``engine.expressions`` and refuses scripts
outright (script tasks are also rejected at deploy).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine import expressions


class ScriptsForbidden(WorkflowTaskException):
    pass


class ExpressionScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=None)

    def validate(self, expression):
        expressions.compile_expression(expression)

    def evaluate(self, task, expression, external_context=None):
        names = dict(task.data)
        if external_context:
            names.update(external_context)
        try:
            return expressions.evaluate(expression, names)
        except expressions.ExpressionError as exc:
            raise WorkflowTaskException(str(exc), task=task, exception=exc) from None

    def execute(self, task, script, external_context=None):
        raise ScriptsForbidden("script execution is disabled in citybpm", task=task)

    def call_service(self, task, **kwargs):
        raise ScriptsForbidden("no service connector is registered for this task", task=task)


SCRIPT_ENGINE = ExpressionScriptEngine()
