"""A thin HTTP client for tests: real requests against the running server; serving an app for a test."""
from __future__ import annotations

import contextlib
import threading

import requests
from werkzeug.serving import make_server

from api.seed import DEMO_PASSWORD


class ApiClient:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def login(self, username: str, password: str = DEMO_PASSWORD) -> "ApiClient":
        response = self.http.post(f"{self.base_url}/api/v1/auth/login",
                                  json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.username = username
        return self

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.base_url}/api/v1{path}", **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    # scenario helpers ------------------------------------------------------
    def ok(self, method: str, path: str, status: int = 200, **kwargs):
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def inbox(self, **params) -> list[dict]:
        return self.ok("GET", "/tasks", params={"page_size": 100, **params})

    def task_for(self, case_no: str, node_id: str) -> dict:
        tasks = [t for t in self.inbox(case_no=case_no) if t["node_id"] == node_id]
        assert tasks, f"{self.username} has no '{node_id}' task for {case_no}"
        return tasks[0]

    def complete(self, case_no: str, node_id: str, data: dict) -> list[dict]:
        task = self.task_for(case_no, node_id)
        return self.ok("POST", f"/tasks/{task['id']}/complete", json={"data": data})


def give_back_process_state(shared_app, other_app) -> None:
    """create_app sets process-wide hooks for the newest app: after a test's own app, hand them back to the
    suite's shared one (the live-update commit hook, the "a timer was written" wake-up, the login limiter)."""
    from api import auth
    from engine import live
    from api.scheduling import install_wakeups

    live.remove_commit_hook(other_app.extensions["citybpm_live"])
    install_wakeups(shared_app)
    auth.limiter.init_app(shared_app)


@contextlib.contextmanager
def serving(application):
    """An app behind a real HTTP server (threaded, on a free loopback port), shut down cleanly."""
    http = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
