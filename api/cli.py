"""The ``citybpm`` command: Flask's CLI with set-up, deploy, seed and serve commands."""
from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from api.app import create_app
from api.bootstrap import bootstrap, deploy_directory, seed_demo
from api.extensions import db
from api.seed import seed_roles
from engine.problems import DeploymentRejected


def _report(exc: DeploymentRejected):
    for problem in exc.problems:
        click.echo(f"  {problem.file or ''} {problem.element_id or ''}: {problem.message_zh}", err=True)
    raise SystemExit(1)


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """citybpm — 城市运行管理服务平台的流程引擎 / BPMN engine for city command centres."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command("deploy-processes")
@with_appcontext
def deploy_processes_command():
    """Deploy the processes shipped in processes/ (same content keeps its version)."""
    try:
        for key, version, created in deploy_directory(current_app.config["PROCESSES_DIR"]):
            click.echo(f"{key}: v{version} {'deployed' if created else 'unchanged'}")
    except DeploymentRejected as exc:
        _report(exc)


@main.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Seed roles, demo organisations and demo users (refused in production)."""
    if current_app.config["CITYBPM_ENV"] == "production":
        raise click.ClickException("demo users are never seeded in production (CITYBPM_ENV=production)")
    seed_roles(db.session)
    created = seed_demo()
    click.echo(f"demo data ready ({created} new users)")


@main.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--display-name", default="系统管理员", show_default=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input (scripts)")
@with_appcontext
def create_admin_command(username, display_name, password_stdin):
    """Create an administrator: the first login of a production installation (no demo users there)."""
    from engine.audit import Who
    from engine.errors import EngineError
    from engine.user_service import ADMIN_ROLE, create_user

    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else click.prompt("password", hide_input=True, confirmation_prompt=True))
    seed_roles(db.session)
    try:
        create_user(db.session, Who("citybpm create-admin"), username=username, display_name=display_name,
                    password=password, roles=[ADMIN_ROLE])
    except EngineError as exc:
        db.session.rollback()
        details = "; ".join(f"{field}: {message}" for field, message in getattr(exc, "field_errors", {}).items())
        raise click.ClickException(f"{exc.message_zh}{'：' + details if details else ''}") from None
    db.session.commit()
    click.echo(f"administrator {username} created")


@main.command("setup")
@click.option("--demo/--no-demo", default=False, help="also seed demo organisations and users")
@with_appcontext
def setup_command(demo):
    """Upgrade the database in place, seed roles, deploy shipped processes (and demo data)."""
    if demo and current_app.config["CITYBPM_ENV"] == "production":
        raise click.ClickException("demo users are never seeded in production (CITYBPM_ENV=production)")
    try:
        results = bootstrap(current_app._get_current_object(), demo=demo)
    except DeploymentRejected as exc:
        _report(exc)
    for key, version, created in results:
        click.echo(f"{key}: v{version} {'deployed' if created else 'unchanged'}")
    if demo:
        click.echo("demo data ready")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="processes; keep 1 on SQLite, more on PostgreSQL")
@click.option("--threads", default=32, show_default=True, type=int, help="threads per worker")
@click.option("--graceful-timeout", default=30, show_default=True, type=click.IntRange(0),
              help="seconds a SIGTERM leaves requests in flight to finish")
@click.option("--scheduler-max-sleep", default=60.0, show_default=True, type=click.FloatRange(0.5),
              help="the embedded scheduler's longest sleep: with Redis down, timers written by other "
                   "workers fire at most this late")
@click.option("--cpu-affinity/--no-cpu-affinity", default=True, show_default=True,
              help="keep each worker on a CPU core of its own (its threads share one GIL)")
def serve_command(host, port, workers, threads, graceful_timeout, scheduler_max_sleep, cpu_affinity):
    """Serve the app with gunicorn (threaded workers; SIGTERM stops gracefully)."""
    from api.server import serve

    click.echo(f"citybpm on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    serve(host=host, port=port, workers=workers, threads=threads, graceful_timeout=graceful_timeout,
          scheduler_max_sleep=scheduler_max_sleep, cpu_affinity=cpu_affinity)


@main.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the timer scheduler in the foreground (use with CITYBPM_SCHEDULER=off on the web servers)."""
    import signal
    import threading

    from api.scheduling import start_scheduler, stop_scheduler

    app = current_app._get_current_object()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    scheduler = start_scheduler(app)
    click.echo(f"citybpm scheduler running (leadership: {scheduler.leadership.name}); Ctrl+C to stop")
    stopped.wait()
    stop_scheduler(app)
    click.echo(f"scheduler stopped after firing {scheduler.fired} timers")


@main.command("simulate")
@click.option("--date", "day", default="2026-03-02", show_default=True, help="the day to simulate (YYYY-MM-DD)")
@click.option("--reports", default=40, show_default=True, type=click.IntRange(1, 5000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--database-url", default=None,
              help="where to simulate (default: a fresh instance/simulation.sqlite3, never the demo database)")
def simulate_command(day, reports, seed, database_url):
    """Fast-forward a demo city day on a virtual clock: reports, work, lights, reminders, 督办."""
    import datetime as dt
    from pathlib import Path

    from api.bootstrap import bootstrap
    from api.config import PROJECT_ROOT
    from api.simulate import simulate_day

    if database_url is None:
        path = Path(PROJECT_ROOT / "instance" / "simulation.sqlite3")
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CITYBPM_SCHEDULER": "off"})
    bootstrap(app, demo=True)
    report = simulate_day(app, day=dt.date.fromisoformat(day), reports=reports, seed=seed)
    for line in report.lines():
        click.echo(line)
    click.echo(f"数据库：{database_url}")


@main.group("backup")
def backup_group():
    """备份与恢复：流程定义、表单、配置和案件 / Backup and restore (see engine.backup for what travels)."""


class _BackupProgress:
    """Rows per table on stderr: each table when done, and every 10 000 rows of a long one."""

    def __call__(self, table: str, done: int, total: int) -> None:
        if done == total or done % 10_000 == 0:
            click.echo(f"  {table}: {done}/{total}", err=True)


def _refused(exc) -> click.ClickException:
    return click.ClickException(f"{exc.message_zh}\n{exc.message_en}")


def _forget_cached_objects() -> None:
    """This process's caches of the replaced rows (the engine module clears its own): token principals,
    workflows, compiled forms. Other processes were stopped for the import (it is an offline operation)."""
    from api.auth import PRINCIPALS
    from forms.permissions import PERMISSION_BOOK
    from forms.store import PUBLISHED_FORMS

    PRINCIPALS.clear()
    engine = current_app.extensions["citybpm_engine"]
    engine.workflows.clear()
    engine.settings.forms.forget()
    PUBLISHED_FORMS.forget()
    PERMISSION_BOOK.forget()


@backup_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def backup_export_command(file):
    """Write definitions, forms, configuration, cases and attachment files into one archive (may run online)."""
    from api.attachments import directory
    from engine.backup import BackupRefused, export_archive

    try:
        with db.engine.connect() as connection:
            manifest = export_archive(connection, file, attachments_dir=directory(), progress=_BackupProgress())
    except BackupRefused as exc:
        raise _refused(exc) from None
    attachments = manifest["attachments"]
    for missing in attachments["missing"]:
        click.echo(f"警告 / warning: attachment file {missing['sha256']} not exported ({missing['reason']})", err=True)
    click.echo(f"exported {sum(manifest['tables'].values())} rows of {len(manifest['tables'])} tables and "
               f"{attachments['files']} attachment files (schema {manifest['schema_revision']}) to {file}")


@backup_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="empty the target's tables first (its data is lost)")
def backup_import_command(file, replace):
    """Restore an archive into this database (same schema revision; stop the servers and scheduler first)."""
    from api.attachments import directory
    from engine.backup import BackupRefused, import_archive

    try:
        with db.engine.connect() as connection:
            manifest = import_archive(connection, file, attachments_dir=directory(), replace=replace,
                                      migrations_dir=current_app.extensions["migrate"].directory,
                                      progress=_BackupProgress())
    except BackupRefused as exc:
        raise _refused(exc) from None
    _forget_cached_objects()
    click.echo(f"imported {sum(manifest['tables'].values())} rows of {len(manifest['tables'])} tables "
               f"(exported {manifest['created_at']}); API tokens are not restored: log in again, issue new "
               f"caller tokens")


if __name__ == "__main__":
    main()
