"""Export: every backed-up table, read from one snapshot in batches, and the attachment files, into one archive."""
from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from typing import Callable

from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.engine import Connection

from engine import clock
from engine.attachments import path_of
from engine.backup import tables as selection
from engine.backup.archive import FORMAT, FORMAT_VERSION, ArchiveWriter, blob_member, table_member
from engine.backup.errors import BackupRefused
from engine.backup.revision import schema_revision
from engine.backup.values import encode

BATCH = 1000
Progress = Callable[[str, int, int], None]  # (table or "attachments", done, total)


@contextmanager
def _snapshot(connection: Connection):
    """One consistent view of the whole database while the server keeps writing: PostgreSQL's REPEATABLE READ;
    on SQLite an explicit read transaction (the driver opens none for SELECTs), which WAL keeps for us."""
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    with connection.begin() as transaction:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            transaction.rollback()  # read only


def export_archive(connection: Connection, path: str | os.PathLike, *, metadata: MetaData | None = None,
                   attachments_dir: str | os.PathLike | None = None, progress: Progress | None = None,
                   batch_size: int = BATCH) -> dict:
    """Write the archive to ``path`` (replaced only once complete); returns its manifest."""
    metadata = metadata if metadata is not None else selection.load_models()
    writer = ArchiveWriter(path)
    try:
        with _snapshot(connection) as snapshot:
            unknown = selection.unknown_tables(snapshot, metadata)
            if unknown:
                raise BackupRefused(f"数据库中有未知的表（没有对应的模型）：{', '.join(unknown)}；未导出",
                                    f"tables without a model in the database: {', '.join(unknown)}; "
                                    f"nothing exported")
            counts = {table.name: _write_table(snapshot, writer, table, progress, batch_size)
                      for table in selection.backed_up_tables(metadata)}
            attachments = _write_attachments(snapshot, writer, metadata, attachments_dir, progress)
            revision = schema_revision(snapshot)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": revision,
            "created_at": clock.now().isoformat(),
            "source_dialect": connection.dialect.name,
            "tables": counts,
            "columns": {t.name: [c.name for c in t.columns] for t in selection.backed_up_tables(metadata)},
            "attachments": attachments,
            "excluded": dict(selection.EXCLUDED),
        }
        writer.finish(manifest)
    except BaseException:
        writer.abort()
        raise
    return {**manifest, "members": writer.members}


def _write_table(connection: Connection, writer: ArchiveWriter, table: Table, progress: Progress | None,
                 batch_size: int) -> int:
    total = connection.scalar(select(func.count()).select_from(table))
    names = [c.name for c in table.columns]
    # ordered by key: the same database gives the same member, and self-references mostly point backwards
    statement = select(table).order_by(*table.primary_key.columns)
    done = 0
    with writer.member(table_member(table.name)) as out:
        result = connection.execution_options(yield_per=batch_size).execute(statement)
        for rows in result.partitions():
            out.write("".join(
                json.dumps({name: encode(value) for name, value in zip(names, row)}, ensure_ascii=False,
                           separators=(",", ":")) + "\n" for row in rows).encode("utf-8"))
            done += len(rows)
            if progress:
                progress(table.name, done, total)
    if progress and done == 0:
        progress(table.name, 0, 0)
    return done


def _write_attachments(connection: Connection, writer: ArchiveWriter, metadata: MetaData,
                       directory: str | os.PathLike | None, progress: Progress | None) -> dict:
    """The files behind the attachment rows, each once (they are kept by content). A file missing or changed
    on disk is listed in the manifest rather than stopping the whole backup; the export command warns."""
    summary = {"directory_included": directory is not None, "files": 0, "bytes": 0, "missing": []}
    table = metadata.tables.get("attachment")
    if directory is None or table is None:
        return summary
    digests = list(connection.execute(select(table.c.sha256).distinct().order_by(table.c.sha256)).scalars())
    for number, sha256 in enumerate(digests, start=1):
        source = path_of(directory, sha256)
        if not source.is_file():
            summary["missing"].append({"sha256": sha256, "reason": "missing"})
            continue
        if _file_sha256(source) != sha256:  # read twice: a damaged file must not travel under a sound name
            summary["missing"].append({"sha256": sha256, "reason": "content changed on disk"})
            continue
        with open(source, "rb") as handle, writer.member(blob_member(sha256), compress=False) as out:
            while chunk := handle.read(1024 * 1024):
                out.write(chunk)
        summary["files"] += 1
        summary["bytes"] += out.size
        if progress:
            progress("attachments", number, len(digests))
    return summary


def _file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
