"""flask-smorest, documented the way the API answers.

Errors leave as ``application/problem+json`` (see api.errors), and the
pagination header carries JSON: the generated OpenAPI says exactly that, so
clients and schema-driven fuzzers read the truth.
"""
from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from marshmallow import Schema, fields

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


class CityApi(Api):
    ERROR_SCHEMA = ProblemSchema

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
