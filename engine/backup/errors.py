"""Why a backup or a restore was refused; the message says what to do (Chinese first, English beside it)."""
from __future__ import annotations

from engine.errors import EngineError


class BackupRefused(EngineError):
    code = "backup_refused"
    status = 409


class ArchiveDamaged(BackupRefused):
    """The archive is not one we wrote, or it changed since (a member's sha256, a truncated or flipped byte)."""

    code = "backup_archive_damaged"
    status = 422
