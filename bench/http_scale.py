"""HTTP scale benchmark on PostgreSQL: one vs two gunicorn workers, completion latency under load, and the inbox
with a million open tasks.

Everything runs against real `citybpm serve` processes (gunicorn, threaded workers) on loopback, driven by plain
http.client keep-alive connections (bench.closed_loop.Desk: the client library's own cost is not the server's),
on PostgreSQL only (no Redis: the scheduler leader is chosen through the advisory lock). The database: one given
with --database-url (or CITYBPM_BENCH_DATABASE_URL; its public schema is dropped and recreated, a second database
<name>_small is created next to it (CREATEDB needed) and both keep the generated rows afterwards), else a
throwaway server of our own (initdb in a temp dir, loopback, fsync off like CI: the figures are CPU, not the
disk; stopped and deleted at the end). Each database is set up with `citybpm setup --demo`.

(1) Closed-loop cases per second with `serve --workers 1` and `--workers 2`, both servers up side by side for the
    whole part (each warmed first with two cases per client: psycopg prepares a statement from its fifth run and
    PostgreSQL plans it generically from then on, per connection): --threads client threads (each with its own
    connections, one per role, as desks would have) run the case of bench.closed_loop (start + 7 completions:
    受理 立案 派遣 处置 反馈 核查 结案). --rounds rounds, each a burst of --cases cases on each server in the order
    1 2, 2 1, …; the figure is the median of the rounds' ratios, so a drift in the machine's speed (seen here: the
    same server's CPU per case from 39 to 88 ms within minutes) falls within a round on both alike.
    → two_vs_one_workers.
    Honest caveat: the client threads, the gunicorn workers, PostgreSQL and whatever else runs on the machine
    share its cores (the CPU count is printed). Each run prints where the CPU went (Linux /proc): the server's
    processes, PostgreSQL (our own server only), the clients (this process), other processes and idle, and the
    server's CPU per case. One worker is bound to one core by the GIL (and kept on it: `citybpm serve` pins each
    worker to a core of its own unless --no-cpu-affinity, which this script passes on); two can use two cores
    only when PostgreSQL, the clients and the neighbours leave them free, so on a two-core box the ratio measures
    what a second worker buys there, below what two cores dedicated to the app give: the last line of the part
    works out that ceiling from the CPU measured per case. The clients run in this process, apart from the
    servers, and use a few percent of a core: they are not what limits the figure.
(2) p95 latency of POST /tasks/<id>/complete with --complete-clients (16) concurrent clients, each running
    --complete-cases whole cases against a two-worker server. → complete_p95_ms_16_clients.
(3) The inbox, GET /api/v1/tasks?scope=mine (first page, with its pagination COUNT), for a user (gw, 马队长) who
    holds the same --own-tasks tasks in both databases (an inbox is a person's work, not a share of the city's):
    one database with --small-tasks (1 000) open tasks, the other with --tasks (1 000 000). The task,
    task_candidate and process_instance rows are written with COPY, spread like a city's: most tasks assigned,
    each assignee holding a bounded number (~40 on average), the rest waiting for a role or a department; the
    user's tasks and a fifth as many unclaimed ones of his team scattered among them. Both databases are served
    at once (one single-worker server each) and asked turn about, --inbox-requests times each after a warm-up, so
    the machine's noise hits both sizes alike; p95 of each. scope=all (the 工作台's 待办: his tasks and his
    team's unclaimed ones) is measured alongside as information, and so is his case list, GET /api/v1/cases (first
    page: every generated task has its case, so the large database holds a million cases). Then the query plans
    (EXPLAIN ANALYZE, warm), with a warning if a step handles more rows than the person's inbox could explain.
    → inbox_1m_vs_1k (and cases_1m_vs_1k, for information).

Last lines, one figure each: two_vs_one_workers (target ≥ 1.7 on two cores), complete_p95_ms_16_clients,
inbox_1m_vs_1k (target ≤ 2); cases_1m_vs_1k comes just before them.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import http.client
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import REPORT, STEPS, Desk, free_port  # noqa: E402

ROLE_USERS = ("jdy", "sly", "zbz", "pqy", "sw")
INBOX_USER = "gw"              # 马队长, a handler: the person whose inbox is measured
INBOX_TEAM = "T_WATER_PIPE"    # his team (管网养护队): its unclaimed tasks are in his scope=all inbox
CASE_PREFIX = "IB"             # generated cases' numbers: told apart from the cases the HTTP runs start
TZ = dt.timezone(dt.timedelta(hours=8))
# generated open tasks: (node, name, stage, form key, candidate kind, hours allowed); candidates of kind "org"
# name a department, the others the role
NODES = [
    ("accept", "受理", "file", "closed_loop_accept", "role:acceptor", 0.5),
    ("register", "立案", "file", "closed_loop_register", "role:shift_leader", 0.5),
    ("dispatch", "派遣", "dispatch", "closed_loop_dispatch", "role:dispatcher", 0.5),
    ("handle", "处置", "handle", "closed_loop_handle", "org", 4.0),
    ("handle", "处置", "handle", "closed_loop_handle", "org", 4.0),
    ("feedback", "反馈", "feedback", "closed_loop_feedback", "org", 48.0),
    ("check", "核查", "close", "closed_loop_check", "role:supervisor", 0.5),
    ("close", "结案", "close", "closed_loop_close", "role:shift_leader", 1.0),
]
DEPARTMENTS = ["D_WATER", "D_MUNI", "D_SANIT", "D_GREEN", "D_ENFORCE"] + [f"D_G{i:02d}" for i in range(1, 36)]
ASSIGNED_SHARE = 0.8           # of the other tasks: claimed by someone (the rest wait for a role or department)
TASKS_PER_ASSIGNEE = 40        # on average; each generated person holds a bounded number


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


# ---------------------------------------------------------------- PostgreSQL: given, or our own throwaway server
def _postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return str(Path(found[-1]).parent) if found else None


@contextmanager
def own_postgres(port: int):
    """initdb + pg_ctl start in a temp dir (as user postgres when we are root: it refuses to run as root)."""
    pgbin = _postgres_bin()
    workdir = Path(tempfile.mkdtemp(prefix="citybpm-bench-pg-"))
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")

    def run(*argv: str) -> None:
        command = [f"{pgbin}/{argv[0]}", *argv[1:]]
        if as_root:
            command = ["su", "postgres", "-c", shlex.join(command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    data = workdir / "data"
    try:
        run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--encoding=UTF8", "--no-locale")
        run("pg_ctl", "-D", str(data), "-w", "-l", str(workdir / "server.log"),
            "-o", f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        try:
            run("createdb", "-h", "127.0.0.1", "-p", str(port), "citybpm_bench")
            log(f"PostgreSQL ({pgbin}) on 127.0.0.1:{port}, data in {data}")
            postmaster = int((data / "postmaster.pid").read_text().split()[0])
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/citybpm_bench", postmaster
        finally:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy URL, for psycopg itself (COPY)."""
    from sqlalchemy.engine import make_url
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sibling_database(url: str, suffix: str) -> str:
    """A second database on the same server (dropped first if it exists): the small inbox lives there, so both
    sizes can be served at once and measured turn about (noise on a shared machine hits both alike)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{make_url(url).database}_{suffix}"
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def server_env(url: str) -> dict:
    # logins are rate-limited per account and address: the bench logs each user in once per server anyway
    env = dict(os.environ, CITYBPM_DATABASE_URL=url, CITYBPM_LOGIN_LIMIT_ACCOUNT="10000 per minute",
               CITYBPM_LOGIN_LIMIT_ADDRESS="10000 per minute")
    env.pop("CITYBPM_REDIS_URL", None)  # the topology measured: PostgreSQL only (advisory-lock scheduler leader)
    return env


def prepare_database(url: str, env: dict) -> None:
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "api.cli", "setup", "--demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log(f"citybpm setup --demo: {time.perf_counter() - started:.1f} s")


# ---------------------------------------------------------------- where the CPU went (Linux /proc)
TICKS = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, float, float]]:
    """pid → (parent pid, CPU seconds of the process itself, of the children it has reaped)."""
    table = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        table[int(stat.split("/")[2])] = (int(fields[1]), sum(map(int, fields[11:13])) / TICKS,
                                          sum(map(int, fields[13:15])) / TICKS)
    return table


def tree_cpu(root: int | None, table: dict[int, tuple[int, float, float]]) -> float:
    """CPU seconds of a process tree: every live member's own time plus the exited children each one reaped."""
    if root is None:
        return 0.0
    members, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        members.append(pid)
        frontier.extend(child for child, (parent, *_) in table.items() if parent == pid)
    return sum(table[pid][1] + table[pid][2] for pid in members if pid in table)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = list(map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]))
    total = sum(values[:8]) / TICKS
    return total - (values[3] + values[4]) / TICKS, total


class CpuMeter:
    """What the server, PostgreSQL (our own server only), this process (the clients) and the whole machine used
    during a measurement: on a shared machine a throughput figure means little without it."""

    def __init__(self, server_pid: int, postgres_pid: int | None):
        self.pids = {"server": server_pid, "PostgreSQL": postgres_pid, "clients": os.getpid()}

    def _sample(self) -> dict[str, float]:
        table = _process_table()
        busy, total = machine_cpu()
        return {"server": tree_cpu(self.pids["server"], table), "PostgreSQL": tree_cpu(self.pids["PostgreSQL"], table),
                "clients": table[os.getpid()][1],  # this process alone: the servers are its children
                "busy": busy, "total": total}

    def __enter__(self):
        self.before = self._sample()
        return self

    def __exit__(self, *exc) -> None:
        after = self._sample()
        self.used = {name: after[name] - self.before[name] for name in after}

    def describe(self, cases: int) -> str:
        cores = os.cpu_count() or 1
        wall = self.used["total"] / cores
        ours = " ".join(f"{name} {self.used[name] / wall:.2f}" for name in self.pids if self.pids[name])
        per_case = self.used["server"] / cases * 1000
        others = self.used["busy"] - sum(self.used[name] for name in self.pids if self.pids[name])
        idle = (self.used["total"] - self.used["busy"]) / wall
        return (f"cores used: {ours}, other processes {max(0.0, others) / wall:.2f}, idle {idle:.2f} of {cores}; "
                f"server CPU {per_case:.0f} ms per case")


def ceiling(meters: dict[int, list[CpuMeter]], cases_per_run: int, postgres_known: bool) -> str:
    """What the measured CPU per case allows on this machine were it idle: one worker gets about one core (its
    GIL), two share the cores with PostgreSQL and the clients. Each worker count with its own CPU per case: one
    worker serving 8 clients spends more per case than two serving 4 each (its threads contend for the GIL)."""
    cores = os.cpu_count() or 1
    per_case = {workers: {name: sum(m.used[name] for m in runs) / (len(runs) * cases_per_run)
                          for name in ("server", "PostgreSQL", "clients")} for workers, runs in meters.items()}
    rate = {workers: min(workers / used["server"], cores / sum(used.values())) for workers, used in per_case.items()}

    def described(used: dict) -> str:
        database = f"{used['PostgreSQL'] * 1000:.0f} ms" if postgres_known else "not measured (not our server)"
        return f"server {used['server'] * 1000:.0f} ms, PostgreSQL {database}, clients {used['clients'] * 1000:.1f} ms"

    return (f"    CPU per case with one worker: {described(per_case[1])}; with two: {described(per_case[2])}: "
            f"on {cores} idle cores at most {rate[1]:.1f} cases/s with one worker and {rate[2]:.1f} with two, "
            f"a ratio of at most {rate[2] / rate[1]:.2f} here")


# ---------------------------------------------------------------- servers and clients
@contextmanager
def citybpm_server(env: dict, workers: int, options: tuple[str, ...] = ()):
    """A ``citybpm serve`` on a free port. Its log goes to a file, named on the terminal if anything fails."""
    port = free_port()
    server_log = tempfile.NamedTemporaryFile(prefix="citybpm-bench-server-", suffix=".log", delete=False)
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                               "--workers", str(workers), *options], cwd=ROOT, env=env,
                              stdout=server_log, stderr=subprocess.STDOUT)
    failed = True
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"citybpm serve --workers {workers} exited with {server.returncode}")
            try:
                clerk = Clerk(port, "")
                if clerk.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("citybpm serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield port, server.pid
        failed = False
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()
        if failed:
            log(f"the server's log: {server_log.name}")
        else:
            os.unlink(server_log.name)


class Clerk(Desk):
    """A Desk with a token obtained once: login hashes a password (slow on purpose), which is not what is measured,
    and each thread's desks share their user's token."""

    def __init__(self, port: int, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def tokens_for(port: int, usernames) -> dict[str, str]:
    return {user: Desk(port, user).headers["Authorization"].removeprefix("Bearer ") for user in usernames}


def one_case(desks: dict[str, Clerk], completions: list[float] | None = None) -> None:
    status, created = desks["jdy"].post("/api/v1/cases", {"variables": REPORT})
    assert status == 201, created
    open_tasks = created["open_tasks"]
    for node, data, user in STEPS:
        task = next(t for t in open_tasks if t["node_id"] == node)
        started = time.perf_counter()
        status, open_tasks = desks[user].post(f"/api/v1/tasks/{task['id']}/complete", {"data": data})
        if completions is not None:
            completions.append(time.perf_counter() - started)
        assert status == 200, open_tasks
    assert open_tasks == []


def run_clients(port: int, tokens: dict[str, str], threads: int, cases_per_thread: int,
                completions: list[float] | None = None, meter: CpuMeter | None = None) -> float:
    """``threads`` clients, each running ``cases_per_thread`` cases after one warm-up case; the seconds from the
    moment all are warmed up until the last one finishes (the interval ``meter`` measures too)."""
    ready = threading.Barrier(threads + 1)
    done = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def client() -> None:
        timings: list[float] | None = [] if completions is not None else None
        try:
            desks = {user: Clerk(port, tokens[user]) for user in ROLE_USERS}
            one_case(desks)  # warm-up: connections open, each worker's spec cache filled
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            ready.abort()
            return
        ready.wait()
        try:
            for _ in range(cases_per_thread):
                one_case(desks, timings)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            if timings:
                completions.extend(timings)  # list.extend is atomic under the GIL
            done.wait()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a client failed during warm-up: {failures[0]!r}") from failures[0]
    meter = meter or contextlib.nullcontext()
    with meter:
        started = time.perf_counter()
        done.wait()
        elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed: {failures[0]!r}") from failures[0]
    return elapsed


# ---------------------------------------------------------------- (3) generated open tasks
class OpenTasks:
    """Writes open tasks with their case and candidate rows through COPY, in chunks, with explicit case ids."""

    CHUNK = 50_000

    def __init__(self, url: str, seed: int = 10):
        import psycopg
        # autocommit: VACUUM runs outside transactions; the writes group themselves with conn.transaction()
        self.conn = psycopg.connect(conninfo(url), autocommit=True)
        self.random = random.Random(seed)
        self.definition_id = self.conn.execute(
            "SELECT id FROM process_definition WHERE key = 'closed_loop' ORDER BY version DESC LIMIT 1").fetchone()[0]
        self.now = dt.datetime.now(TZ)

    def close(self) -> None:
        self.conn.close()

    def analyze(self) -> None:
        self.conn.execute("VACUUM (ANALYZE) process_instance, task, task_candidate")

    def open_task_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM task").fetchone()[0]

    def generate(self, total: int, own_count: int) -> None:
        """``total`` open tasks: ``own_count`` assigned to INBOX_USER and a fifth as many unclaimed in his team's
        pool, at random positions among the rest."""
        rng = self.random
        picked = rng.sample(range(total), own_count + own_count // 5)
        own_positions, pool_positions = set(picked[:own_count]), set(picked[own_count:])
        assignees = max(1, round((total - own_count) * ASSIGNED_SHARE / TASKS_PER_ASSIGNEE))
        first_id = self.conn.execute("SELECT nextval('process_instance_id_seq')").fetchone()[0]
        started = time.perf_counter()
        for chunk_start in range(0, total, self.CHUNK):
            cases, tasks, candidates = [], [], []
            for position in range(chunk_start, min(total, chunk_start + self.CHUNK)):
                case_id = first_id + position
                node, name, stage, form_key, group, hours = rng.choice(NODES)
                department = rng.choice(DEPARTMENTS)
                if position in pool_positions:
                    node, name, stage, form_key, group, hours = NODES[3]  # 处置, for the team
                    department, assignee = INBOX_TEAM, None
                elif position in own_positions:
                    assignee = INBOX_USER
                elif rng.random() < ASSIGNED_SHARE:
                    assignee = f"u{rng.randrange(assignees):06d}"
                else:
                    assignee = None
                created_at = self.now - dt.timedelta(seconds=rng.uniform(60, 90 * 86400))
                limit = dt.timedelta(hours=hours)
                cases.append((case_id, f"{CASE_PREFIX}{first_id + position:010d}", self.definition_id,
                              "suspended" if rng.random() < 0.03 else "running", stage, "supervisor",
                              f"01{rng.randrange(1, 20):02d}", f"1101010{rng.randrange(1, 200):08d}",
                              f"示范路 {rng.randrange(1, 999)} 号", department if group == "org" else None,
                              f"s{rng.randrange(500):04d}", created_at - dt.timedelta(minutes=rng.uniform(1, 60)),
                              "{}", "{}", 1))
                task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                tasks.append((task_id, case_id, node, name, stage, form_key, 1, assignee, "open", "bpmn",
                              created_at, created_at + limit, created_at + limit * 0.8, hours, "work_hours"))
                candidates.append((task_id, "org", department) if group == "org" else
                                  (task_id, *group.split(":", 1)))
                if rng.random() < 0.1:  # 转办/指定: a named person as well
                    candidates.append((task_id, "user", f"u{rng.randrange(assignees):06d}"))
            with self.conn.transaction(), self.conn.cursor() as cursor:
                self._copy(cursor, "process_instance (id, case_no, definition_id, status, stage, source, "
                           "category_code, grid_code, address, org_code, started_by, started_at, variables, state, "
                           "version)", cases)
                self._copy(cursor, "task (id, instance_id, node_id, name, stage, form_key, form_version, assignee, "
                           "status, kind, created_at, due_at, warn_at, limit_amount, limit_unit)", tasks)
                self._copy(cursor, "task_candidate (task_id, kind, value)", candidates)
            if total >= 100_000:
                done = min(total, chunk_start + self.CHUNK)
                log(f"  {done:>9,} / {total:,} open tasks written "
                    f"({done / (time.perf_counter() - started):,.0f} per s)")
        self.conn.execute("SELECT setval('process_instance_id_seq', %s)", (first_id + total,))

    @staticmethod
    def _copy(cursor, target: str, rows: list[tuple]) -> None:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def explain(self, scope: str) -> list[tuple[str, list[str]]]:
        """EXPLAIN ANALYZE of what GET /tasks?scope=… runs for INBOX_USER: the page (with the eager-loaded case and
        definition) and the pagination COUNT, written by the app's own query builders."""
        from sqlalchemy import func, select
        from sqlalchemy.dialects import postgresql

        from api.visibility import tasks_visible_to
        from engine.identity import Actor
        from engine.models import Task

        actor = Actor(INBOX_USER, frozenset({"handler"}), frozenset({INBOX_TEAM}))
        listed = select(Task).where(tasks_visible_to(actor, scope))
        queries = {"page": listed.order_by(Task.created_at, Task.id).limit(20),
                   "count": select(func.count()).select_from(listed.subquery())}
        plans = []
        for name, statement in queries.items():
            sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            rows = self.conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}").fetchall()
            plans.append((name, [row[0] for row in rows]))
        return plans


def inbox_p95s(envs: list[dict], paths: dict[str, str], requests: int) -> dict[tuple[int, str], float]:
    """p95 of each of ``paths`` (name → first-page GET) as INBOX_USER, on one single-worker server per database,
    asked turn about: (database index, name) → seconds."""
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(citybpm_server(env, workers=1))[0] for env in envs]
        clerks = [Clerk(port, tokens_for(port, [INBOX_USER])[INBOX_USER]) for port in ports]
        timings: dict[tuple[int, str], list[float]] = {(i, name): [] for i in range(len(envs)) for name in paths}
        for round_no in range(20 + requests):  # 20 warm-up rounds: connections, caches, prepared statements
            for (i, name), measured in timings.items():
                started = time.perf_counter()
                status, body = clerks[i].get(paths[name])
                elapsed = time.perf_counter() - started
                assert status == 200, body
                if round_no >= 20:
                    measured.append(elapsed)
    return {key: p95(measured) for key, measured in timings.items()}


def print_plans(label: str, plans, full: bool, bound: int) -> None:
    """Each query's execution time (the whole plan if ``full``), and a warning when a step of it handles more rows
    than ``bound``: the person's inbox must not cost a share of the city's."""
    for name, lines in plans:
        print(f"    {label}, {name} query: " + lines[-1].strip())
        for line in lines if full else []:
            print(f"      {line}")
        widest = max((int(rows) for line in lines for rows in re.findall(r" rows=(\d+) loops", line)), default=0)
        if widest > bound:
            print(f"    WARNING: a step of the {name} query handles {widest:,} rows (bound {bound:,})")


# ---------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("CITYBPM_BENCH_DATABASE_URL"),
                        help="an EMPTY PostgreSQL database the bench may wipe (default: CITYBPM_BENCH_DATABASE_URL, "
                             "else a throwaway server of our own)")
    parser.add_argument("--pg-port", type=int, default=0,
                        help="port of our own PostgreSQL server (default: a free one)")
    parser.add_argument("--cases", type=int, default=48, help="closed-loop cases per worker count and round")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each worker count, alternating (1 2, 2 1 …)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients for the worker comparison")
    parser.add_argument("--complete-clients", type=int, default=16, help="concurrent clients for the latency figure")
    parser.add_argument("--complete-cases", type=int, default=4, help="cases per client for the latency figure")
    parser.add_argument("--tasks", type=int, default=1_000_000, help="open tasks in the large inbox database")
    parser.add_argument("--small-tasks", type=int, default=1_000, help="open tasks in the small inbox database")
    parser.add_argument("--own-tasks", type=int, default=50, help="open tasks of the measured user (both sizes)")
    parser.add_argument("--inbox-requests", type=int, default=200, help="timed inbox requests per size")
    parser.add_argument("--skip-workers", action="store_true", help="only the inbox part")
    parser.add_argument("--skip-inbox", action="store_true", help="only the worker and latency parts")
    parser.add_argument("--no-cpu-affinity", action="store_true",
                        help="serve with workers left unpinned (citybpm serve --no-cpu-affinity), for comparison")
    args = parser.parse_args()
    serve_options = ("--no-cpu-affinity",) if args.no_cpu_affinity else ()

    if args.database_url:
        database = nullcontext((args.database_url, None))
    elif _postgres_bin():
        database = own_postgres(args.pg_port or free_port())
    else:
        sys.exit("http_scale needs PostgreSQL: give --database-url (or CITYBPM_BENCH_DATABASE_URL), or install "
                 "PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) for a throwaway server")

    print(f"CPUs: {os.cpu_count()} (shared by the client threads, the gunicorn workers and PostgreSQL); "
          f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with database as (url, postgres_pid):
        env = server_env(url)
        prepare_database(url, env)
        rates, completions = {}, []
        if not args.skip_workers:
            per_thread = max(1, args.cases // args.threads)
            elapsed, meters, pair_ratios = {1: 0.0, 2: 0.0}, {1: [], 2: []}, []
            # both up: each burst finds it warm
            with citybpm_server(env, 1, serve_options) as one, citybpm_server(env, 2, serve_options) as two:
                servers = {1: one, 2: two}
                tokens = {workers: tokens_for(port, ROLE_USERS) for workers, (port, _) in servers.items()}
                for workers, (port, _) in servers.items():  # past psycopg's and PostgreSQL's plan warm-up
                    run_clients(port, tokens[workers], args.threads, 2)
                for round_no in range(args.rounds):
                    rate = {}
                    for workers in ((1, 2) if round_no % 2 == 0 else (2, 1)):  # ABBA: a drifting load hits both
                        port, server_pid = servers[workers]
                        log(f"round {round_no + 1}, {workers} worker(s): {args.threads} clients × {per_thread} cases …")
                        cpu = CpuMeter(server_pid, postgres_pid)
                        seconds = run_clients(port, tokens[workers], args.threads, per_thread, meter=cpu)
                        meters[workers].append(cpu)
                        elapsed[workers] += seconds
                        rate[workers] = args.threads * per_thread / seconds
                        print(f"(1) round {round_no + 1}, serve --workers {workers}: {rate[workers]:6.2f} cases/s "
                              f"({args.threads} clients, {args.threads * per_thread} cases, {seconds:.1f} s)")
                        print(f"    {cpu.describe(args.threads * per_thread)}")
                    pair_ratios.append(rate[2] / rate[1])
            for workers in (1, 2):
                rates[workers] = args.rounds * args.threads * per_thread / elapsed[workers]
                print(f"(1) serve --workers {workers}: {rates[workers]:6.2f} cases/s over {args.rounds} round(s)")
            print(f"(1) two workers against one, round by round: {' '.join(f'{r:.2f}' for r in pair_ratios)}; "
                  f"median {statistics.median(pair_ratios):.2f}")
            print(ceiling(meters, args.threads * per_thread, postgres_pid is not None))
            with citybpm_server(env, 2, serve_options) as (port, _):
                log(f"2 workers: {args.complete_clients} clients × {args.complete_cases} cases, "
                    "timing each completion …")
                run_clients(port, tokens_for(port, ROLE_USERS), args.complete_clients, args.complete_cases,
                            completions)
            print(f"(2) POST /tasks/<id>/complete, {args.complete_clients} clients, 2 workers: "
                  f"median {statistics.median(completions) * 1000:.1f} ms, p95 {p95(completions) * 1000:.1f} ms "
                  f"over {len(completions)} completions")
        inbox, case_list = {}, {}
        if not args.skip_inbox:
            small_url = sibling_database(url, "small")
            small_env = server_env(small_url)
            prepare_database(small_url, small_env)
            counts, sizes = {}, (args.small_tasks, args.tasks)
            for size, target in zip(sizes, (small_url, url)):
                tasks = OpenTasks(target)
                try:
                    log(f"generating {size:,} open tasks ({args.own_tasks} of them {INBOX_USER}'s) …")
                    started = time.perf_counter()
                    tasks.generate(size - tasks.open_task_count(), args.own_tasks)
                    tasks.analyze()
                    log(f"  done in {time.perf_counter() - started:.1f} s")
                    counts[size] = tasks.open_task_count()
                finally:
                    tasks.close()
            # scope=all (the 工作台's 待办: his tasks and his team's unclaimed ones) is measured alongside, as
            # information: its cost follows the person's own work too (api.visibility.tasks_visible_to)
            paths = {"mine": "/api/v1/tasks?scope=mine", "all": "/api/v1/tasks?scope=all", "cases": "/api/v1/cases"}
            measured = inbox_p95s([small_env, env], paths, args.inbox_requests)
            for name in paths:
                for index, size in enumerate(sizes):
                    print(f"(3) GET {paths[name].removeprefix('/api/v1'):<17} with {counts[size]:>9,} open tasks "
                          f"({args.own_tasks} the user's, {args.own_tasks // 5} his team's): "
                          f"p95 {measured[index, name] * 1000:6.2f} ms over {args.inbox_requests} requests")
            inbox = {size: measured[index, "mine"] for index, size in enumerate(sizes)}
            case_list = {size: measured[index, "cases"] for index, size in enumerate(sizes)}
            for size, target in zip(sizes, (small_url, url)):  # after the requests: the plans as served, warm
                tasks = OpenTasks(target)
                try:
                    for scope in ("mine", "all"):
                        print_plans(f"{counts[size]:,} tasks, scope={scope}", tasks.explain(scope),
                                    full=size == args.tasks and scope == "mine", bound=20 * args.own_tasks)
                finally:
                    tasks.close()

    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if inbox:
        print(f"cases_1m_vs_1k: {case_list[args.tasks] / case_list[args.small_tasks]:.2f}")
    if rates:
        print(f"two_vs_one_workers: {statistics.median(pair_ratios):.2f}")
        print(f"complete_p95_ms_16_clients: {p95(completions) * 1000:.1f}")
    if inbox:
        print(f"inbox_1m_vs_1k: {inbox[args.tasks] / inbox[args.small_tasks]:.2f}")


if __name__ == "__main__":
    main()
