"""The whole API fuzzed from its own OpenAPI document (schemathesis), over real HTTP: no 5xx, every answer as
documented (status, content type, schema, headers), bad input refused, auth not ignored.

The fuzzer talks to a server of its own (tests/api/fuzz_server.py: another process, another database), so it may
create, rename, disable, deploy and reconfigure whatever an admin may, and the rest of the suite never sees it.
Generation is derandomized with a fixed seed: a run repeats the last one, and a failure names the request (curl).
Budget: MAX_EXAMPLES per operation in the fuzzing phase, plus schemathesis' coverage phase (boundary and
wrong-type values of every parameter); about 12 000 requests, two to three minutes on two cores. A deeper run, with
other data: ``CITYBPM_FUZZ_SEED=7 CITYBPM_FUZZ_EXAMPLES=150 pytest tests/api/test_api_fuzz.py``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import settings

from api.seed import DEMO_PASSWORD
from tests.api.test_closed_loop_flow import REPORT

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("CITYBPM_FUZZ_SEED", "20260601"))
MAX_EXAMPLES = int(os.environ.get("CITYBPM_FUZZ_EXAMPLES", "30"))
# A hang guard, not a speed check: a request normally takes milliseconds; one that takes this long is stuck.
REQUEST_TIMEOUT_SECONDS = 60

CHECKS = {
    # Off: the API checks meaning beyond the schema (a file that is not BPMN, a form-js schema without components,
    # a calendar without windows, an unknown permission) and answers such schema-valid requests with 422 on purpose.
    "positive_data_acceptance": {"enabled": False},
    # Off: /definitions/validate, /forms/import, /orgs/tree, /categories/tree are also legal values of the
    # /definitions/{key} … routes beside them, so an OPTIONS answer rightly lists those routes' methods too.
    "allow_header_conformance": {"enabled": False},
}


def _fuzz_database(tmp_path: Path):
    """SQLite beside the suite's; on PostgreSQL (CI) a second database on the suite's server, dropped afterwards."""
    suite_url = os.environ.get("CITYBPM_TEST_DATABASE_URL")
    if not suite_url or not suite_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'fuzz.sqlite3'}", lambda: None
    url = sa.engine.make_url(suite_url)
    name = f"{url.database}_fuzz"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def run(sql: str) -> None:
        with server.connect() as conn:
            conn.execute(sa.text(sql))

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fuzz")
    database_url, drop_database = _fuzz_database(tmp_path)
    log_path, port_file = tmp_path / "server.log", tmp_path / "port"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.api.fuzz_server", database_url,
                                    str(tmp_path / "attachments"), str(port_file)],
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()  # a hang guard: migrating and seeding takes seconds
        while not port_file.exists() and process.poll() is None and time.monotonic() - started < 300:
            time.sleep(0.1)
        assert port_file.exists(), f"the fuzz server did not start:\n{log_path.read_text()[-5000:]}"
        SERVER_LOG["path"] = log_path
        yield f"http://127.0.0.1:{int(port_file.read_text())}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        drop_database()


SERVER_LOG: dict[str, Path] = {}


def call_and_validate(case) -> None:
    """schemathesis shows the request and the answer; a 500's traceback is in the server's log: add the last one."""
    try:
        case.call_and_validate()
    except (Exception, BaseExceptionGroup) as failure:  # schemathesis failures are a BaseExceptionGroup
        log = SERVER_LOG["path"].read_text(errors="replace")
        if "Traceback" in log:
            failure.add_note("last traceback in the fuzz server's log (" + str(SERVER_LOG["path"]) + "):\n"
                             + "Traceback" + log.rsplit("Traceback", 1)[1][:4000])
        raise


def _login(base_url: str, username: str) -> dict:
    response = requests.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def open_case(fuzz_server) -> dict:
    """Cases with a photo and an open 受理 task, so lists and lookups answer with real rows to check against
    their schemas; returns the first (case_no and its task id)."""
    reporter = {"Authorization": f"Bearer {_login(fuzz_server, 'jdy')['token']}"}
    photo = requests.post(f"{fuzz_server}/api/v1/attachments", headers=reporter,
                          files={"file": ("井盖.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")})
    assert photo.status_code == 201, photo.text
    cases = []
    for description in ("上水井盖破损", "路灯不亮"):
        started = requests.post(f"{fuzz_server}/api/v1/cases", headers=reporter, json={
            "process_key": "closed_loop", "variables": {**REPORT, "description": description,
                                                        "photos": [photo.json()["ref"]]}})
        assert started.status_code == 201, started.text
        cases.append(started.json())
    return {"case_no": cases[0]["case_no"], "task_id": cases[0]["open_tasks"][0]["id"]}


@pytest.fixture(scope="module")
def fuzz_token(fuzz_server, open_case) -> dict:
    """The admin's token for the fuzzer, made through the API so its id is known (see _locks_the_fuzzer_out)."""
    admin = _login(fuzz_server, "admin")
    made = requests.post(f"{fuzz_server}/api/v1/tokens", headers={"Authorization": f"Bearer {admin['token']}"},
                         json={"username": "admin", "name": "fuzz", "scopes": admin["user"]["permissions"],
                               "expires_in_days": 1})
    assert made.status_code == 201, made.text
    return made.json()


def _load(base_url: str, token: str, **config) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": CHECKS,
        "request-timeout": REQUEST_TIMEOUT_SECONDS,
        "suppress-health-check": ["too_slow"],  # a timing check: a loaded CI machine must not fail the run
        **config,
    }))
    loaded.config.update(headers={"Authorization": f"Bearer {token}"}, base_url=base_url)
    return loaded


@pytest.fixture(scope="module")
def admin_schema(fuzz_server, fuzz_token):
    # the coverage phase would also send every method the spec does not list to every path: one (TRACE) is enough
    # to check that the answer is a documented 405
    return _load(fuzz_server, fuzz_token["token"], phases={"coverage": {"unexpected-methods": ["trace"]}})


@pytest.fixture(scope="module")
def acceptor_schema(fuzz_server, open_case):
    """The 受理员 (sly) on a real case and its real open task, so valid bodies reach the engine, not a 404.
    Body shapes were covered by the admin pass (a body is checked before the task is looked up): fuzzing only."""
    return _load(fuzz_server, _login(fuzz_server, "sly")["token"],
                 parameters={"path.case_no": open_case["case_no"], "path.task_id": open_case["task_id"]},
                 phases={"coverage": {"enabled": False}})


# The fuzzer's own identity: the admin user, its roles and organisation, and its token. Changing these would
# only lock the fuzzer out (every later request a 401/403), so such requests are not sent.
FUZZER = {"username": "admin", "code": ("admin", "designer", "CENTRE")}


def _locks_the_fuzzer_out(case, token_id: int) -> bool:
    if case.method.upper() not in ("PUT", "PATCH", "POST", "DELETE"):
        return False
    params = case.path_parameters or {}
    return (str(params.get("token_id")) == str(token_id) or params.get("username") == FUZZER["username"]
            or params.get("code") in FUZZER["code"])


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32's from_fixture reads Node._nodeid, which pytest 9.2 no longer has (it reads nodeid)
    request.node._nodeid = request.node.nodeid


every_operation = schemathesis.pytest.from_fixture("admin_schema")
case_and_task_operations = schemathesis.pytest.from_fixture("acceptor_schema").include(
    path_regex=r"^/api/v1/(cases/\{case_no\}|tasks/\{task_id\})")


@every_operation.parametrize()
@settings(deadline=None)  # see REQUEST_TIMEOUT_SECONDS: no per-example time limit on a noisy machine
def test_every_operation_as_admin(case, fuzz_token):
    if _locks_the_fuzzer_out(case, fuzz_token["id"]):
        return
    call_and_validate(case)


@case_and_task_operations.parametrize()
@settings(deadline=None)
def test_a_real_case_and_task_as_the_acceptor(case):
    call_and_validate(case)
