"""The app factory: create_app(config=None)."""
from __future__ import annotations

import os

import swagger_ui_bundle
from flask import Flask, redirect, send_from_directory

from api import observability
from api import (approvals, attachments, audit, auth, calendars, case_diagram, case_operations, catalog, cases,
                 config, definitions, dispatch_rules, documents, enforcement_links, errors, evaluation,
                 evaluation_config, evaluation_views, forms, inbox_counts, laws, live, notifications, orgs,
                 process_config, roles, settings, subscriptions, task_operations, tasks, time_limits, users, web)
from api.extensions import db, migrate, rest
from api.scheduling import install_wakeups
from engine import clock, settings_store
from engine.calendar_functions import default_calendar_for
from engine.channels import destinations
from engine.db import configure_engine
from engine.runtime import Engine, EngineSettings
from forms.service import FormService

MIGRATIONS_DIR = str(config.PROJECT_ROOT / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(config.API_SETTINGS)
    app.config.update(config.from_environment())
    app.config.update(overrides or {})
    if app.config["CITYBPM_ENV"] == "production" and app.config["SECRET_KEY"] == config.DEV_SECRET_KEY:
        raise RuntimeError("set CITYBPM_SECRET_KEY: session cookies must not be signed with the development key")
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config.database_pool_options(app.config))
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON answer
    clock.from_environment(os.environ)  # CITYBPM_CLOCK_FILE: a shared virtual clock (simulations, tests)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("CITYBPM_REDIS_URL") or "memory://")
    # Redis down: count login attempts in this process's memory rather than fail every login with a 500
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    auth.limiter.init_app(app)
    # Only the login routes are limited, and their decorators check their limits. The extension's own
    # before-request check is for default and application-wide limits, of which there are none: it cost about
    # 0.1 ms on every request of the API.
    app.before_request_funcs[None].remove(auth.limiter._check_request_limit)
    rest.init_app(app)
    for blueprint in (auth.blp, definitions.blp, cases.blp, tasks.blp, forms.blp, calendars.blp, time_limits.blp,
                      notifications.blp, subscriptions.blp, subscriptions.deliveries_blp, roles.blp,
                      roles.tokens_blp, orgs.blp, users.blp, audit.blp, settings.blp, catalog.blp,
                      evaluation_config.blp, process_config.blp, task_operations.blp, task_operations.copies_blp,
                      case_operations.blp, approvals.blp, dispatch_rules.blp, laws.blp, documents.blp,
                      enforcement_links.blp, case_diagram.blp, inbox_counts.blp, live.blp,
                      attachments.blp, evaluation_views.blp, evaluation.blp):
        rest.register_blueprint(blueprint)
    rest.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    rest.spec.options["security"] = [{"bearerAuth": []}]
    errors.register(app)
    app.register_blueprint(web.blp)
    app.before_request(auth.authenticate)
    observability.init_app(app)  # /healthz, /readyz, /metrics; JSON logs and X-Request-Id

    with app.app_context():
        configure_engine(db.engine)
    # environment values are the deployment's defaults; admins change them live at /api/v1/settings
    try:
        destinations.allow_networks(destinations.parse_networks(app.config["CITYBPM_WEBHOOK_ALLOWED_NETWORKS"]))
    except ValueError as exc:
        raise ValueError(f"CITYBPM_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None
    settings_store.use_defaults(case_number_prefix=app.config["CITYBPM_CASE_PREFIX"],
                                case_number_pattern=app.config["CITYBPM_CASE_NUMBER_PATTERN"],
                                warn_share=app.config["CITYBPM_WARN_SHARE"])
    app.extensions["citybpm_engine"] = Engine(EngineSettings(
        case_number_prefix=app.config["CITYBPM_CASE_PREFIX"],
        case_number_pattern=app.config["CITYBPM_CASE_NUMBER_PATTERN"],
        forms=FormService(),
        warn_share=app.config["CITYBPM_WARN_SHARE"],
        calendar_for=default_calendar_for,
        live=settings_store.engine_settings_from,
    ))
    install_wakeups(app)
    live.install_live(app)

    @app.get("/")
    def index():
        return redirect("/index.html")

    # Swagger UI served from the installed bundle: command centres often have no internet access.
    @app.get("/api/docs-assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=3600)

    return app
