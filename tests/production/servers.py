"""Real server processes for the production tests: gunicorn through ``python -m api.cli serve``, a redis-server,
and the bounded waits every test uses (poll with a deadline; never a sleep standing in for an assertion)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.helpers import ApiClient

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, what: str, seconds: float = 30.0, every: float = 0.05):
    """Poll ``condition`` until it returns something truthy (returned) or ``seconds`` pass (AssertionError)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (gunicorn's workers are the master's children)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state not in ("Z", "X"):
            found.add(int(entry))
    return found


class Gunicorn:
    """``python -m api.cli serve --workers N`` on a free loopback port, its output in a log file."""

    def __init__(self, log_path: Path, env: dict, workers: int = 2, extra_args: tuple = ()):
        self.port, self.workers, self.log_path = free_port(), workers, log_path
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), "--workers", str(workers),
             "--threads", "16", *extra_args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> set[int]:
        return children(self.pid)

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, seconds: float = 90) -> "Gunicorn":
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            return len(self.worker_pids()) == self.workers and self.answers()
        wait_for(ready, f"gunicorn with {self.workers} workers on {self.url}", seconds)
        return self

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def client(self, username: str | None = None) -> ApiClient:
        client = ApiClient(self.url)
        return client.login(username) if username else client

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, seconds: float = 60) -> int | None:
        """SIGTERM (graceful), SIGKILL if it does not end in time; returns the exit status."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self._log.close()
        return self.process.returncode


class RedisServer:
    """A redis-server of the test's own on a loopback port, so the test may kill it and bring it back."""

    def __init__(self, port: int, directory: Path):
        self.port, self.directory, self.process = port, directory, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> "RedisServer":
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)

        def up():
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server on port {self.port} exited (port taken?)")
            try:
                return client.ping()
            except redis.RedisError:
                return False
        wait_for(up, f"redis-server on port {self.port}", 20)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)


def tokens_for(server: Gunicorn, *usernames: str) -> dict[str, str]:
    """One login per user; the clients of many threads share the bearer token."""
    return {name: server.client(name).http.headers["Authorization"] for name in usernames}


def client_with(base_url: str, authorization: str) -> ApiClient:
    client = ApiClient(base_url)
    client.http.headers["Authorization"] = authorization
    return client


def run_threads(target, args_list: list[tuple], seconds: float = 120) -> None:
    """Run ``target(*args)`` for each args in threads; re-raise the first failure; bounded."""
    errors: list[BaseException] = []

    def guarded(*args):
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=args, daemon=True) for args in args_list]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"client threads still running after {seconds:.0f}s")
    if errors:
        raise errors[0]
