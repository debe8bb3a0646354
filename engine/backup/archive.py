"""The archive file: a zip holding ``manifest.json``, one JSON-lines member per table and the attachment files.

::

    manifest.json                      format, schema revision, created_at, rows per table, sha256 per member
    tables/<table>.jsonl               one JSON object per row, columns by name
    attachments/<sha256[:2]>/<sha256>  the attachment files, stored as kept on disk (by content)

A zip rather than a tar.gz: members are read one at a time without unpacking the rest, and each carries a
CRC besides the sha256 the manifest keeps. The file is written under a temporary name and renamed when
complete, so an interrupted export never leaves a file that looks like a backup.

Reading trusts no size the file declares until it is shown possible: an archive may come from elsewhere (another
city's installation, a copy passed around), and a zip bomb declares terabytes in a few kilobytes. Before
anything is read, the members' compressed sizes must fit in the file (members that overlap share their data to
multiply it) and each declared size must be one deflate can produce from its compressed size; zipfile then
stops every member at its declared size. The manifest is read into memory only up to a size its member count
explains, and a table's rows only a line of at most ``LINE_LIMIT`` bytes at a time.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from contextlib import contextmanager, suppress
from pathlib import Path

from engine.backup.errors import ArchiveDamaged

FORMAT = "citybpm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

DEFLATE_MAX_RATIO = 1032  # deflate's best case: 258 bytes from 2 bits; nothing it wrote expands further
MANIFEST_BASE, MANIFEST_PER_MEMBER = 1024 * 1024, 1024  # a member's entry is about 100 bytes
LINE_LIMIT = 64 * 1024 * 1024  # one row; a case's workflow state is kept pruned, well below this


def table_member(table_name: str) -> str:
    return f"tables/{table_name}.jsonl"


def blob_member(sha256: str) -> str:
    return f"attachments/{sha256[:2]}/{sha256}"


class _HashingWriter:
    def __init__(self, raw):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)


class ArchiveWriter:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.zip = zipfile.ZipFile(self.partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6,
                                   allowZip64=True)
        self.members: dict[str, str] = {}

    @contextmanager
    def member(self, name: str, *, compress: bool = True):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        with self.zip.open(info, "w", force_zip64=True) as raw:
            writer = _HashingWriter(raw)
            yield writer
        self.members[name] = writer.digest.hexdigest()

    def finish(self, manifest: dict) -> None:
        manifest = {**manifest, "members": dict(sorted(self.members.items()))}
        body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")
        self.zip.writestr(MANIFEST, body)
        self.zip.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        self.zip.close()
        self.partial.unlink(missing_ok=True)


def _damaged(name: str, why: str) -> ArchiveDamaged:
    return ArchiveDamaged(f"备份文件已损坏（{name}：{why}），未做任何更改",
                          f"the archive is damaged ({name}: {why}); nothing was changed")


def _not_ours(exc: Exception) -> ArchiveDamaged:
    return ArchiveDamaged("不是 citybpm 备份文件，或文件已损坏，未做任何更改",
                          f"not a citybpm backup, or a damaged one ({exc}); nothing was changed")


def _check_declared_sizes(archive: zipfile.ZipFile, file_size: int) -> None:
    """Refuse sizes no honest zip of ours declares, before a byte is unpacked (see the module's docstring)."""
    members = archive.infolist()
    if sum(info.compress_size for info in members) > file_size:
        raise _damaged("zip", "成员的数据相互重叠 / members overlap")
    for info in members:
        if info.compress_type == zipfile.ZIP_STORED:
            possible = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            possible = info.file_size <= DEFLATE_MAX_RATIO * info.compress_size + 1024
        else:  # the export writes only these two
            possible = False
        if not possible:
            raise _damaged(info.filename, f"声明的大小 {info.file_size} 不可能 / impossible declared size "
                                          f"{info.file_size}")
    manifest_limit = MANIFEST_BASE + MANIFEST_PER_MEMBER * len(members)
    with suppress(KeyError):  # a missing manifest is named when it is read
        if archive.getinfo(MANIFEST).file_size > manifest_limit:
            raise _damaged(MANIFEST, f"大于 {manifest_limit} 字节 / larger than {manifest_limit} bytes")


def _read_manifest(archive: zipfile.ZipFile, file_size: int) -> dict:
    try:
        _check_declared_sizes(archive, file_size)
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise _damaged(MANIFEST, "缺失 / missing") from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError) as exc:
        raise _not_ours(exc) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveDamaged("不是 citybpm 备份文件（manifest.json 的 format 不对），未做任何更改",
                             "not a citybpm backup (manifest.json has no citybpm format); nothing was changed")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveDamaged(
            f"备份格式版本 {manifest.get('format_version')} 不受支持（本版本读取 {FORMAT_VERSION}）",
            f"backup format version {manifest.get('format_version')} is not supported (this version reads "
            f"{FORMAT_VERSION})")
    return manifest


class ArchiveReader:
    """Reads members and checks each against the manifest's sha256 once it has been read to its end."""

    def __init__(self, path: str | os.PathLike):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _not_ours(exc) from None
        try:
            self.manifest = _read_manifest(self.zip, os.path.getsize(path))
        except BaseException:
            self.zip.close()
            raise
        self.members: dict[str, str] = self.manifest.get("members") or {}

    def close(self) -> None:
        self.zip.close()

    def _open(self, name: str):
        if name not in self.members:
            raise _damaged(name, "清单中没有这一项 / not listed in the manifest")
        try:
            return self.zip.open(name)
        except KeyError:
            raise _damaged(name, "缺失 / missing") from None
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise _damaged(name, str(exc)) from None

    def declared_size(self, name: str) -> int:
        """The member's size once unpacked, as the file declares it (shown possible when the file was opened)."""
        return self.zip.getinfo(name).file_size

    def lines(self, name: str):
        """The member's lines (bytes); the sha256 is checked after the last one, before the caller goes on."""
        digest = hashlib.sha256()
        with self._open(name) as member:
            try:
                while line := member.readline(LINE_LIMIT + 1):
                    if len(line) > LINE_LIMIT:
                        raise _damaged(name, f"有一行超过 {LINE_LIMIT // 2**20} MB / a line longer than "
                                             f"{LINE_LIMIT // 2**20} MB")
                    digest.update(line)
                    yield line
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise _damaged(name, str(exc)) from None
        self._check(name, digest)

    def chunks(self, name: str, size: int = 1024 * 1024):
        digest = hashlib.sha256()
        with self._open(name) as member:
            try:
                while chunk := member.read(size):
                    digest.update(chunk)
                    yield chunk
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise _damaged(name, str(exc)) from None
        self._check(name, digest)

    def _check(self, name: str, digest) -> None:
        if digest.hexdigest() != self.members[name]:
            raise _damaged(name, "sha256 与清单不符 / sha256 does not match the manifest")
