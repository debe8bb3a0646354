"""flask-smorest, documented the way the API answers.

Errors leave as ``application/problem+json`` (see api.errors), and the
pagination header carries JSON: the generated OpenAPI says exactly that, so
clients and schema-driven fuzzers read the truth.
"""
from __future__ import annotations

import http

from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from marshmallow import Schema, fields, validate

from api.input_guard import refuse_unstorable_input

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldErrorSchema(Schema):
    field = fields.String(allow_none=True)
    message = fields.String()
    code = fields.String()
    element_id = fields.String(allow_none=True)
    file = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String(metadata={"description": "稳定的错误代码 / stable error code"})
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


class PublicOperations(BasePlugin):
    """Operations anyone may call (log in, log out) need no bearer token: say so, over the document-wide default."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        from api.permissions import PUBLIC_ENDPOINTS

        rule = kwargs.get("rule")
        if rule is not None and rule.endpoint in PUBLIC_ENDPOINTS:
            for operation in (operations or {}).values():
                operation["security"] = []


def range_exclusivity(self, field, ret, **kwargs) -> dict:
    """apispec drops ``Range(min_inclusive=False)``: without it the document promises that 0 is a fine amount."""
    out = {}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
                out["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
                out["exclusiveMaximum"] = True
    return out


class CityApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, *, spec_kwargs=None, config_prefix=""):
        spec_kwargs = {**(spec_kwargs or {})}
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), PublicOperations()]
        super().__init__(app, spec_kwargs=spec_kwargs, config_prefix=config_prefix)

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(range_exclusivity)

    def register_blueprint(self, blp, **options):
        # A blueprint's before-request hooks run after the app's, so after authentication: anonymous callers
        # never get their body read. Blueprints are module-level and outlive an app (tests build several).
        if refuse_unstorable_input not in blp.before_request_funcs.get(None, ()):
            blp.before_request(refuse_unstorable_input)
        super().register_blueprint(blp, **options)

    def _register_responses(self):
        problem = {"schema": ProblemSchema}
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["content"] = {PROBLEM_CONTENT_TYPE: problem}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "错误（problem+json）/ Error as problem+json",
            "content": {PROBLEM_CONTENT_TYPE: problem},
        }, lazy=True)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", {
            "description": "分页信息（JSON）/ Pagination metadata as JSON",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }, lazy=True)
