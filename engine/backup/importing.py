"""Import: an archive into a database at the same schema revision, in one transaction (all or nothing).

Offline: the servers and schedulers on the target database are stopped while it runs, and started again
afterwards, so no process keeps serving parsed specs, workflows, calendars or settings of the rows it replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import JSON, MetaData, Table, bindparam, delete, func, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from engine.attachments import path_of
from engine.backup import tables as selection
from engine.backup.archive import ArchiveReader, blob_member, table_member
from engine.backup.errors import ArchiveDamaged, BackupRefused
from engine.backup.exporting import BATCH, Progress
from engine.backup.revision import check_same_revision, schema_revision
from engine.backup.values import _base_type, row_decoder

_SHA256 = re.compile(r"[0-9a-f]{64}")
DISK_RESERVE = 256 * 1024 * 1024  # left free on the attachments' disk: logs, the database, the next upload
# named in the refusal first: what an operator would least like to lose
_HEADLINE = ("process_instance", "process_definition", "form_definition", "app_user", "org")


def import_archive(connection: Connection, path: str | os.PathLike, *, metadata: MetaData | None = None,
                   attachments_dir: str | os.PathLike | None = None, replace: bool = False,
                   migrations_dir: str | os.PathLike | None = None, progress: Progress | None = None,
                   batch_size: int = BATCH) -> dict:
    """Restore ``path`` into the database behind ``connection`` (not in a transaction); returns the manifest.

    Refused, with nothing changed: an archive that is damaged or not ours, a schema revision other than the
    target's, a target that already holds data (unless ``replace``: then the backed-up tables are emptied
    first, in the same transaction)."""
    metadata = metadata if metadata is not None else selection.load_models()
    reader = ArchiveReader(path)
    created_files: list[Path] = []
    try:
        manifest = reader.manifest
        wanted = selection.backed_up_tables(metadata)
        blobs = _blobs(manifest)
        if blobs and attachments_dir is None:
            raise ValueError("the archive holds attachment files: pass attachments_dir")
        _check_room_for_blobs(reader, blobs, attachments_dir)
        with connection.begin():
            check_same_revision(manifest.get("schema_revision"), schema_revision(connection), migrations_dir)
            _check_tables(manifest, wanted)
            _make_room(connection, metadata, wanted, replace)
            for table in wanted:
                _load_table(connection, reader, table, manifest["tables"][table.name], progress, batch_size)
            for number, sha256 in enumerate(blobs, start=1):
                if _restore_blob(reader, sha256, attachments_dir):
                    created_files.append(path_of(attachments_dir, sha256))
                if progress:
                    progress("attachments", number, len(blobs))
            _reset_sequences(connection, wanted)
    except BaseException:
        for created in created_files:  # the rows that named them were rolled back
            created.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    forget_cached_objects()
    return manifest


def forget_cached_objects() -> None:
    """This process's caches keyed by row ids (parsed specs, DMN engines, calendars, settings): after an
    import the same ids may name other rows. Other processes are stopped during an import (offline)."""
    from engine import calendar_store, process_config, settings_store, specs

    specs.SPECS.clear()
    with process_config._DECISIONS_LOCK:
        process_config._DECISIONS.clear()
    calendar_store.CALENDAR_CACHE.clear()
    settings_store.SETTINGS.invalidate()


def _check_tables(manifest: dict, wanted: list[Table]) -> None:
    in_archive = set(manifest.get("tables") or {})
    expected = {t.name for t in wanted}
    if in_archive != expected:
        missing, extra = sorted(expected - in_archive), sorted(in_archive - expected)
        raise BackupRefused(f"备份中的表与本版本不一致（缺少：{missing}，多出：{extra}）",
                            f"the archive's tables differ from this version's (missing: {missing}, extra: {extra})")
    columns = manifest.get("columns") or {}
    for table in wanted:
        if columns.get(table.name) != [c.name for c in table.columns]:
            raise BackupRefused(f"表 {table.name} 的列与本版本不一致", f"the columns of {table.name} differ from "
                                f"this version's: {columns.get(table.name)}")


def _blobs(manifest: dict) -> list[str]:
    """The attachment files the archive carries (those the export found intact)."""
    found = []
    for name in manifest.get("members") or {}:
        if name.startswith("attachments/"):
            sha256 = name.rsplit("/", 1)[1]
            # the name becomes a path under the attachment directory: only the form the export writes
            if not _SHA256.fullmatch(sha256) or name != blob_member(sha256):
                raise ArchiveDamaged(f"备份文件已损坏（附件名 {name!r} 不合规），未做任何更改",
                                     f"the archive is damaged (attachment name {name!r}); nothing was changed")
            found.append(sha256)
    return sorted(found)


def _check_room_for_blobs(reader: ArchiveReader, blobs: list[str], directory) -> None:
    """Refuse before anything changes when the attachment files would not fit on their disk: found out halfway,
    the import would roll back after hours, having filled the disk the running installation also writes to."""
    needed = sum(reader.declared_size(blob_member(sha256)) for sha256 in blobs
                 if not path_of(directory, sha256).exists())
    if not needed:
        return
    existing = Path(directory).resolve()
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free - DISK_RESERVE
    if needed > free:
        mib = 1024 * 1024
        raise BackupRefused(
            f"附件目录 {directory} 所在磁盘空间不足：需要 {needed / mib:.0f} MB，可用 {max(free, 0) / mib:.0f} MB"
            f"（已留出 {DISK_RESERVE // mib} MB 余量），未做任何更改",
            f"not enough disk space for the attachment files under {directory}: {needed / mib:.0f} MB needed, "
            f"{max(free, 0) / mib:.0f} MB free (beyond a reserve of {DISK_RESERVE // mib} MB); nothing was changed")


def _make_room(connection: Connection, metadata: MetaData, wanted: list[Table], replace: bool) -> None:
    """Refuse a target holding data unless ``replace``; then empty the tables, children first."""
    held = {t.name: n for t in wanted if (n := connection.scalar(select(func.count()).select_from(t)))}
    if held and not replace:
        names = [n for n in _HEADLINE if n in held] + sorted(n for n in held if n not in _HEADLINE)
        listed = ", ".join(f"{name} {held[name]}" for name in names[:8]) + (" …" if len(names) > 8 else "")
        raise BackupRefused(
            f"目标数据库已有数据（{listed}）：请导入到只执行过 citybpm db upgrade 的空数据库，"
            f"或加 --replace 先清空再导入",
            f"the target database already holds data ({listed}): import into an empty database "
            f"(citybpm db upgrade only), or pass --replace to clear it first")
    # an excluded table may be a model ahead of its migration: empty only those the database has
    present = set(inspect(connection).get_table_names())
    emptied = {t.name for t in wanted} | (set(selection.EMPTIED_ON_IMPORT) & present)
    for table in reversed(metadata.sorted_tables):
        if table.name in emptied:
            connection.execute(delete(table))


def _insert_statement(table: Table):
    """INSERT with nullable JSON columns binding None as SQL NULL (the column type's default would store the
    JSON text 'null' instead); NOT NULL JSON columns keep the default, as the source wrote them."""
    nullable_json = {c.name: bindparam(c.name, type_=JSON(none_as_null=True)) for c in table.columns
                     if c.nullable and isinstance(_base_type(c.type), JSON)}
    statement = table.insert()
    return statement.values(nullable_json) if nullable_json else statement


def _load_table(connection: Connection, reader: ArchiveReader, table: Table, expected_rows: int,
                progress: Progress | None, batch_size: int) -> None:
    decode = row_decoder(table)
    insert = _insert_statement(table)
    # References within the table (a sub-organisation's parent, a merged case, an added signer's task) are
    # set after all its rows are in: a row may point at one with a later key.
    self_refs = [fk.parent for fk in table.foreign_keys if fk.column.table is table and fk.parent.nullable]
    keys = list(table.primary_key.columns)
    deferred, batch, done = [], [], 0
    member = table_member(table.name)
    for line in reader.lines(member):
        try:
            row = decode(json.loads(line))
        except (ValueError, TypeError) as exc:
            raise ArchiveDamaged(f"备份文件已损坏（{member} 第 {done + len(batch) + 1} 行：{exc}），未做任何更改",
                                 f"the archive is damaged ({member} line {done + len(batch) + 1}: {exc}); "
                                 f"nothing was changed") from None
        for column in self_refs:
            if row.get(column.name) is not None:
                deferred.append((column.name, {f"key_{c.name}": row[c.name] for c in keys} | {
                    "new_value": row[column.name]}))
                row[column.name] = None
        batch.append(row)
        if len(batch) >= batch_size:
            done += _flush(connection, insert, batch, table, progress, expected_rows, done)
    done += _flush(connection, insert, batch, table, progress, expected_rows, done)
    if done != expected_rows:
        raise ArchiveDamaged(f"备份文件已损坏（{member}：{done} 行，清单记为 {expected_rows} 行），未做任何更改",
                             f"the archive is damaged ({member}: {done} rows, the manifest says {expected_rows}); "
                             f"nothing was changed")
    for column in self_refs:
        params = [values for name, values in deferred if name == column.name]
        if params:
            statement = (update(table).where(*[c == bindparam(f"key_{c.name}") for c in keys])
                         .values({column.name: bindparam("new_value")}))
            connection.execute(statement, params)
    if progress and expected_rows == 0:
        progress(table.name, 0, 0)


def _flush(connection, insert, batch: list[dict], table: Table, progress, total: int, done: int) -> int:
    count = len(batch)
    if batch:
        try:
            connection.execute(insert, batch)
        except DBAPIError as exc:  # e.g. a text longer than PostgreSQL's column allows (SQLite never checked)
            reason = str(exc.orig).strip().splitlines()[0][:300]
            raise BackupRefused(f"目标数据库拒绝了表 {table.name} 的数据（{reason}），未做任何更改",
                                f"the target database refused rows of {table.name} ({reason}); "
                                f"nothing was changed") from None
        batch.clear()
        if progress:
            progress(table.name, done + count, total)
    return count


def _restore_blob(reader: ArchiveReader, sha256: str, directory) -> bool:
    """Put one attachment file in place (checked against its name); True if this import created it."""
    target = path_of(directory, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in reader.chunks(blob_member(sha256)):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ArchiveDamaged(f"备份文件已损坏（附件 {sha256} 的内容与名称不符），未做任何更改",
                                 f"the archive is damaged (attachment {sha256} does not match its name); "
                                 f"nothing was changed")
        if target.exists():
            return False  # kept by content: the same file is already there
        os.replace(temporary, target)
        return True
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each serial/identity sequence continues after the largest imported key, so new rows never
    collide with restored ones. (SQLite takes the next rowid from the table itself.)"""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                     {"table": table.name, "column": keys[0].name})
        if sequence is None:
            continue
        largest = connection.scalar(select(func.max(keys[0])).select_from(table))
        connection.execute(text("SELECT setval(:sequence, :value, :called)"),
                           {"sequence": sequence, "value": largest or 1, "called": largest is not None})
