"""The Alembic schema revision of a database, and whether an archive made at one revision may go into another.

An archive is rows of the tables as they were at its revision: it goes only into a database at the same
revision. The message says which side to move: upgrade the target, or upgrade citybpm itself.
"""
from __future__ import annotations

import os

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from engine.backup.errors import BackupRefused

SETUP_FIRST = ("请先对目标数据库运行 citybpm setup（或 citybpm db upgrade）",
               "run citybpm setup (or citybpm db upgrade) on the target database first")


def schema_revision(connection: Connection) -> str | None:
    """The revision(s) in alembic_version, comma-joined when a database sits on several heads; None if unset."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return ",".join(found) or None


def _ancestors(script, revision: str) -> set[str]:
    return {r.revision for r in script.iterate_revisions(revision.split(","), "base")}


def check_same_revision(archive_revision: str | None, target_revision: str | None,
                        migrations_dir: str | os.PathLike | None = None) -> None:
    """Refuse unless both are the same revision; with the migrations at hand, say which side is behind."""
    if target_revision is None:
        raise BackupRefused(f"目标数据库尚未建立表结构：{SETUP_FIRST[0]}",
                            f"the target database has no schema yet: {SETUP_FIRST[1]}")
    if archive_revision == target_revision:
        return
    same = (f"备份的表结构版本为 {archive_revision}，目标数据库为 {target_revision}",
            f"the archive is at schema revision {archive_revision}, the target database at {target_revision}")
    if migrations_dir is None:
        raise BackupRefused(f"{same[0]}：只能导入到相同版本的数据库", f"{same[1]}: import needs the same revision")
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory(str(migrations_dir))
    try:
        archive_ancestors = _ancestors(script, archive_revision)
    except RevisionError:
        raise BackupRefused(
            f"{same[0]}：备份来自更新版本的 citybpm，请先升级 citybpm 再导入",
            f"{same[1]}: the archive is from a newer version of citybpm; upgrade citybpm first") from None
    if target_revision in archive_ancestors:
        raise BackupRefused(f"{same[0]}：{SETUP_FIRST[0]}", f"{same[1]}: {SETUP_FIRST[1]}")
    raise BackupRefused(
        f"{same[0]}：备份来自较旧的版本；请导入到版本为 {archive_revision} 的数据库"
        f"（citybpm db upgrade {archive_revision}），再升级",
        f"{same[1]}: the archive is from an older version; import it into a database at {archive_revision} "
        f"(citybpm db upgrade {archive_revision}), then upgrade")
