"""The OpenAPI document and the docs page are generated from the code and served offline."""
from __future__ import annotations


def test_openapi_lists_every_endpoint_with_bearer_auth(api):
    spec = api().ok("GET", "/openapi.json")
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/definitions", "/api/v1/cases", "/api/v1/cases/{case_no}/events",
                 "/api/v1/tasks", "/api/v1/tasks/{task_id}/complete"):
        assert path in paths
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    start = paths["/api/v1/cases"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in start["parameters"])


def test_docs_page_and_its_assets_are_served_locally(server):
    import requests

    page = requests.get(f"{server}/api/docs")
    assert page.status_code == 200 and "/api/docs-assets/swagger-ui-bundle.js" in page.text
    bundle = requests.get(f"{server}/api/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_lists_paginate(api):
    response = api("admin").get("/definitions", params={"page": 1, "page_size": 1})
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert "X-Pagination" in response.headers
