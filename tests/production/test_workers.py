"""What several gunicorn workers rely on: forked workers never share a database connection with the master (or
with each other), and SIGTERM is a graceful stop that lets a request in flight finish."""
from __future__ import annotations

import json
import os
import select as select_module
import signal
import socket

import sqlalchemy as sa

from api.extensions import db
from api.server import forget_inherited_connections
from engine.models import Instance
from tests.production.processes import PAIR, deploy
from tests.production.servers import tokens_for, wait_for

BACKEND_PID = sa.text("SELECT pg_backend_pid()")


def test_a_forked_worker_opens_its_own_connection_and_leaves_the_masters_alone(app):
    with app.app_context():
        db.engine.dispose()  # earlier tests left several idle connections: keep one, so checking out finds it again
        with db.engine.connect() as conn:
            masters = conn.execute(BACKEND_PID).scalar()
        # back in the pool: a child that kept the inherited pool would check out this very connection
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # the worker side: only os._exit leaves it, whatever happens
            try:
                forget_inherited_connections(app)
                with db.engine.connect() as conn:
                    os.write(writer, str(conn.execute(BACKEND_PID).scalar()).encode())
            finally:
                os._exit(0)
        os.close(writer)
        try:
            ready, _, _ = select_module.select([reader], [], [], 60)
            workers = int(os.read(reader, 32) or 0) if ready else None
        finally:
            os.close(reader)
            if not ready:
                os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        assert workers and workers != masters
        with db.engine.connect() as conn:  # the master's session survived the child's exit, untouched
            assert conn.execute(BACKEND_PID).scalar() == masters


def test_sigterm_lets_a_request_in_flight_finish(app, serve):
    server = serve(workers=2)
    deploy(server.client("admin"), PAIR)
    authorization = tokens_for(server, "sly")["sly"]
    body = json.dumps({"process_key": "fault_pair"}).encode()
    head = (f"POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: {authorization}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
            f"Connection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as conn:
        conn.sendall(head)
        # a worker thread has parsed the headers and waits for the body: the request is in flight
        assert conn.recv(64).startswith(b"HTTP/1.1 100 Continue")
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Handling signal: term" in server.log(), "the master to take the SIGTERM", 30)
        wait_for(lambda: not server.answers(), "the workers to stop taking new requests", 30)
        conn.sendall(body)
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 201 CREATED", response[:500]
    case_no = json.loads(rest.split(b"\r\n\r\n", 1)[1])["case_no"]
    assert server.process.wait(timeout=60) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Instance.status).where(Instance.case_no == case_no)) == "running"
