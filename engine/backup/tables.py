"""Which tables travel in a backup: every table of the models, except the few listed here with the reason.

Table-driven on purpose: a table added by a later issue (a model on ``engine.db.Base`` and its migration) is
backed up without a change here. A table found in the database that is neither a loaded model nor excluded
below stops the export (``unknown_tables``) instead of being left out silently.
"""
from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData, Table, inspect
from sqlalchemy.engine import Connection

from engine.db import Base
from engine.evaluation.rollups import DERIVED_TABLES

# What must NOT travel, and why. Everything else in the metadata does.
EXCLUDED: dict[str, str] = {
    # Alembic's own bookkeeping: the archive records the source's revision in its manifest instead, and an
    # import only goes into a database already at that revision (never rewrites the target's).
    "alembic_version": "schema revision: recorded in manifest.json and checked on import",
    # Bearer tokens (login tokens and scoped caller tokens) are credentials of the source installation.
    # A restored copy issues its own: callers get new tokens, people log in again (password hashes travel).
    "api_token": "credentials of the source installation: log in again, issue new caller tokens",
    # 绩效考核 facts and their watermark are derived from the event log (engine.evaluation.rollups):
    # emptied on import, the next report rebuilds them from the imported events.
    # Carrying them would double count: the watermark restarts at 0 and the refresh adds every event again.
    **{table: "derived from the event log, rebuilt by the next report" for table in DERIVED_TABLES},
}

# Excluded tables an import empties: their rows describe the target's previous content (tokens of users that
# are replaced, facts of events that are replaced) and would be wrong, or a hole, next to the imported rows.
EMPTIED_ON_IMPORT = ("api_token", *DERIVED_TABLES)

# Not in the database at all, so never in an archive: login rate-limit counters (flask-limiter: memory or
# Redis), the live-update broker, and the in-memory caches (parsed specs, workflows, calendars, settings,
# compiled forms), which a restarted process fills again from the imported rows.

# Where the models live: every module of these packages is imported so that each table is on the metadata,
# also when the backup runs without the Flask app (a script, a test).
MODEL_PACKAGES = ("engine", "forms")


def load_models(packages: tuple[str, ...] = MODEL_PACKAGES) -> MetaData:
    """Import every module of ``packages`` (their models register on ``Base``) and return the metadata."""
    for name in packages:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            importlib.import_module(module.name)
    return Base.metadata


def backed_up_tables(metadata: MetaData) -> list[Table]:
    """The tables an archive holds, parents before children (foreign keys)."""
    return [table for table in metadata.sorted_tables if table.name not in EXCLUDED]


def emptied_on_import(metadata: MetaData) -> list[Table]:
    return [table for table in metadata.sorted_tables if table.name in EMPTIED_ON_IMPORT]


def unknown_tables(connection: Connection, metadata: MetaData) -> list[str]:
    """Tables in the database that no loaded model describes and no exclusion names."""
    present = set(inspect(connection).get_table_names())
    return sorted(present - set(metadata.tables) - set(EXCLUDED))
