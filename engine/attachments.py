"""Attachments (photos of a reported problem, scans): stored on disk by content, limited in size and type.

A file is kept under ``<directory>/<sha256[:2]>/<sha256>``: never under the name the user gave, so no upload can
choose a path, and the same photo uploaded twice takes the space once. The type is read from the content's first
bytes (magic numbers), not from the file name or the declared Content-Type. Case data refers to an attachment as
``attachment:<id>`` (the report form's ``photos``); whoever may see such a case may download it, and so may its
uploader.
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import logging
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import String, cast, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock, settings_store
from engine.db import Base
from engine.errors import EngineError, NotFound
from engine.models import Instance

log = logging.getLogger(__name__)

REF_PREFIX = "attachment:"
CHUNK = 64 * 1024

SNIFFABLE_TYPES = settings_store.SNIFFABLE_ATTACHMENT_TYPES  # what sniff() recognises


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: an id cannot be guessed from another
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))  # as uploaded, for Content-Disposition only
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(String(100), index=True)
    uploaded_at: Mapped[_dt.datetime]


class TooLarge(EngineError):
    code = "attachment_too_large"
    status = 413


class WrongType(EngineError):
    code = "attachment_type_refused"
    status = 422


class StorageFull(EngineError):
    """The attachment directory's disk (or the quota on it) is full: the operator must make room."""

    code = "storage_full"
    status = 507


def ref(attachment_id: str) -> str:
    return f"{REF_PREFIX}{attachment_id}"


def limits(session: Session) -> tuple[int, list[str]]:
    """(largest size in bytes, allowed content types) from the system settings."""
    conn = session.connection()
    return (settings_store.get(conn, "attachment_max_mb") * 1024 * 1024,
            list(settings_store.get(conn, "attachment_types")))


def path_of(directory: str | os.PathLike, sha256: str) -> Path:
    return Path(directory) / sha256[:2] / sha256


def store(session: Session, directory: str | os.PathLike, name: str, stream: BinaryIO, actor: str) -> Attachment:
    """Check and keep an uploaded file; adds its row (the caller commits). Nothing is left behind on refusal."""
    max_bytes, allowed = limits(session)
    Path(directory).mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with _disk_full_refused(), os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"附件不能超过 {max_bytes // (1024 * 1024)} MB",
                                   f"attachments may be at most {max_bytes // (1024 * 1024)} MB")
                if len(head) < 16:
                    head += chunk[:16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        found = sniff(head)
        if size == 0 or found not in allowed:
            names = "、".join(allowed)
            raise WrongType(f"不支持的附件类型（按文件内容判断）：只接受 {names}",
                            f"attachment type not accepted (judged by its content): only {', '.join(allowed)}")
        target = path_of(directory, digest.hexdigest())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)  # same content, same file: replacing it changes nothing
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    row = Attachment(id=secrets.token_hex(16), sha256=digest.hexdigest(), name=_clean_name(name), size=size,
                     content_type=found, uploaded_by=actor, uploaded_at=clock.now())
    session.add(row)
    session.flush()
    return row


@contextmanager
def _disk_full_refused():
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        log.error("attachment not stored: the attachment directory's disk is full (%s)", exc)
        raise StorageFull("服务器存储空间已满，附件未保存，请联系管理员",
                          "the server's storage is full: the attachment was not stored; "
                          "tell an administrator") from None


def _clean_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "attachment"


def readable(session: Session, attachment_id: str, username: str, case_filter) -> Attachment:
    """The attachment, if ``username`` uploaded it or may see (``case_filter``) a case whose data refers to it."""
    row = session.get(Attachment, attachment_id)
    if row is not None and row.uploaded_by != username:
        # the ref is quoted in the JSON text; the id is hex, so no escaping can hide it
        referenced = exists(select(Instance.id).where(
            case_filter, cast(Instance.variables, String).like(f'%"{ref(row.id)}"%')))
        if not session.scalar(select(referenced)):
            row = None
    if row is None:
        raise NotFound("附件不存在或无权查看", "attachment not found")
    return row
