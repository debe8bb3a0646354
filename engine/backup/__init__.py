"""Backup and restore: the whole installation's data in one archive file, and back into a database.

What travels: every table of the models (``engine.db.Base``) except those ``tables.EXCLUDED`` names, so a
table added later travels without a change here. Today that is

- definitions: every deployed version with its BPMN/DMN files (XML as deployed) and sha256;
- forms: every version of every form definition, field permissions;
- configuration: organisations, users with their password hashes, memberships, roles, role grants
  (permissions), system settings, calendars with seasons and days (holidays, 调休), time limits, deadline
  policies, per-node process settings, categories and grids, laws and discretion bands, document types,
  evaluation weights, contacts, webhook subscriptions, the audit log;
- cases: instances with their serialized state and variables, open tasks and candidates, events, timers,
  pauses, approvals, copies, documents and their numbering, case links, notifications, the webhook outbox and
  delivery log, case-number counters, attachment metadata **and the attachment files** (kept by content
  under the attachments directory).

What does not (``tables.EXCLUDED``): Alembic's revision row (recorded in the manifest instead), bearer tokens
(credentials of the source installation), and the 绩效考核 facts and watermark (derived from the event log,
rebuilt by the next report). Login rate-limit counters, the live-update broker and the in-memory caches are not
in the database at all.

Export reads one consistent snapshot and may run while the server serves. Import is offline: stop the
servers and the scheduler on the target, import, start them again.
"""
import engine.models  # noqa: F401  (every table registered before the modules below read the metadata)
from engine.backup.archive import FORMAT, FORMAT_VERSION
from engine.backup.errors import ArchiveDamaged, BackupRefused
from engine.backup.exporting import export_archive
from engine.backup.importing import forget_cached_objects, import_archive
from engine.backup.tables import EXCLUDED, backed_up_tables, load_models

__all__ = ["FORMAT", "FORMAT_VERSION", "ArchiveDamaged", "BackupRefused", "EXCLUDED", "backed_up_tables",
           "export_archive", "forget_cached_objects", "import_archive", "load_models"]
