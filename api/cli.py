"""The ``citybpm`` command: Flask's CLI with set-up, deploy, seed and serve commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from api.app import create_app
from api.extensions import db
from api.seed import seed_demo_users, seed_orgs, seed_roles
from engine.deployment import SourceFile, deploy
from engine.problems import DeploymentRejected
from forms.definitions import form_exists


def deploy_directory(directory: str) -> list[tuple[str, int, bool]]:
    """Deploy each shipped ``*.bpmn`` (with the DMN files beside it) under its process id."""
    results = []
    folder = Path(directory)
    dmn_files = [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.dmn"))]
    for path in sorted(folder.glob("*.bpmn")):
        files = [SourceFile(path.name, path.read_bytes())] + dmn_files
        definition, created = deploy(db.session, files, key=path.stem, deployed_by="system",
                                     form_exists=form_exists)
        results.append((definition.key, definition.version, created))
    db.session.commit()
    return results


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """citybpm — 城市运行管理服务平台的流程引擎 / BPMN engine for city command centres."""


@main.command("deploy-processes")
@with_appcontext
def deploy_processes_command():
    """Deploy the processes shipped in processes/ (same content keeps its version)."""
    try:
        for key, version, created in deploy_directory(current_app.config["PROCESSES_DIR"]):
            click.echo(f"{key}: v{version} {'deployed' if created else 'unchanged'}")
    except DeploymentRejected as exc:
        for problem in exc.problems:
            click.echo(f"  {problem.file or ''} {problem.element_id or ''}: {problem.message_zh}", err=True)
        raise SystemExit(1) from None


@main.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Seed roles, demo organisations and demo users (refused in production)."""
    if current_app.config["CITYBPM_ENV"] == "production":
        raise click.ClickException("demo users are never seeded in production (CITYBPM_ENV=production)")
    seed_roles(db.session)
    seed_orgs(db.session)
    created = seed_demo_users(db.session)
    db.session.commit()
    click.echo(f"demo data ready ({created} new users)")


@main.command("setup")
@click.option("--demo/--no-demo", default=False, help="also seed demo organisations and users")
@click.pass_context
@with_appcontext
def setup_command(ctx, demo):
    """Upgrade the database in place, deploy shipped processes, seed roles (and demo data)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    seed_roles(db.session)
    db.session.commit()
    ctx.invoke(deploy_processes_command)
    if demo:
        ctx.invoke(seed_demo_command)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="processes; keep 1 on SQLite, more on PostgreSQL")
@click.option("--threads", default=8, show_default=True, type=int, help="threads per worker")
def serve_command(host, port, workers, threads):
    """Serve the app with gunicorn (threaded workers)."""
    from api.server import serve

    click.echo(f"citybpm on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    serve(host=host, port=port, workers=workers, threads=threads)

if __name__ == "__main__":
    main()
