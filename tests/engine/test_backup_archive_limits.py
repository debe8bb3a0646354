"""A backup archive from elsewhere is read within bounds (issue 10): a zip bomb's declared sizes, a manifest or a
row too large to hold in memory are refused before they are unpacked, with the archive named damaged."""
from __future__ import annotations

import hashlib
import json
import struct
import tracemalloc
import zipfile

import pytest

from engine.backup import archive as archive_module
from engine.backup.archive import FORMAT, FORMAT_VERSION, MANIFEST, ArchiveReader, table_member
from engine.backup.errors import ArchiveDamaged

MEMBER = table_member("org")


def write_archive(path, members: dict[str, bytes], *, manifest_extra: dict | None = None):
    """An archive as the export writes it: the members, then a manifest listing their sha256."""
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "members": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
                **(manifest_extra or {})}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as packed:
        for name, data in members.items():
            packed.writestr(name, data)
        packed.writestr(MANIFEST, json.dumps(manifest))
    return path


def _central_directory(raw: bytes) -> tuple[int, int, int]:
    """(offset of the end record, offset of the central directory, its size) of a zip without a comment."""
    end = raw.rindex(b"PK\x05\x06")
    size, offset = struct.unpack("<II", raw[end + 12:end + 20])
    return end, offset, size


def _entries(raw: bytes, offset: int, size: int) -> list[bytes]:
    entries, at = [], offset
    while at < offset + size:
        names, extra, comment = struct.unpack("<HHH", raw[at + 28:at + 34])
        length = 46 + names + extra + comment
        entries.append(raw[at:at + length])
        at += length
    return entries


def test_members_sharing_their_data_are_refused_before_anything_is_unpacked(tmp_path):
    """The overlap bomb: many directory entries pointing at one compressed stream, each unpacking in full."""
    path = write_archive(tmp_path / "ok.zip", {MEMBER: b"0" * 1_000_000})
    raw = path.read_bytes()
    end, offset, size = _central_directory(raw)
    entries = _entries(raw, offset, size)
    member_entry = next(e for e in entries if MEMBER.encode() in e)
    copies = 200  # each a megabyte once unpacked, all from the same kilobyte
    directory = b"".join(entries) + member_entry * copies
    count = len(entries) + copies
    end_record = raw[end:end + 8] + struct.pack("<HHII", count, count, len(directory), offset) + raw[end + 20:]
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(raw[:offset] + directory + end_record)
    with zipfile.ZipFile(bomb) as packed:
        declared = sum(info.file_size for info in packed.infolist())
    assert declared > 150 * bomb.stat().st_size

    with pytest.raises(ArchiveDamaged) as refused:
        ArchiveReader(bomb)
    assert "members overlap" in refused.value.message_en and "未做任何更改" in refused.value.message_zh


def test_a_declared_size_deflate_cannot_produce_is_refused(tmp_path):
    path = write_archive(tmp_path / "ok.zip", {MEMBER: b"x" * 10_000})
    raw = bytearray(path.read_bytes())
    end, offset, size = _central_directory(bytes(raw))
    at = offset
    for entry in _entries(bytes(raw), offset, size):
        if MEMBER.encode() in entry:
            compressed = struct.unpack("<I", entry[20:24])[0]
            raw[at + 24:at + 28] = struct.pack("<I", compressed * 2000)  # beyond deflate's 1032 to 1
        at += len(entry)
    lying = tmp_path / "lying.zip"
    lying.write_bytes(bytes(raw))

    with pytest.raises(ArchiveDamaged) as refused:
        ArchiveReader(lying)
    assert "impossible declared size" in refused.value.message_en and MEMBER in refused.value.message_en


def test_a_manifest_larger_than_its_members_explain_is_not_read_into_memory(tmp_path):
    padded = write_archive(tmp_path / "padded.zip", {MEMBER: b"{}\n"},
                           manifest_extra={"padding": " " * 40_000_000})
    assert padded.stat().st_size < 200_000  # forty megabytes of spaces pack into very little

    tracemalloc.start()
    try:
        with pytest.raises(ArchiveDamaged) as refused:
            ArchiveReader(padded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "manifest.json" in refused.value.message_en and "larger than" in refused.value.message_en
    assert peak < 5_000_000


def test_a_row_longer_than_the_line_limit_is_refused_without_holding_it(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "LINE_LIMIT", 100_000)
    rows = b'{"id": 1}\n' + b'{"name": "' + b"a" * 2_000_000 + b'"}\n'
    reader = ArchiveReader(write_archive(tmp_path / "long.zip", {MEMBER: rows}))
    try:
        lines = reader.lines(MEMBER)
        assert next(lines) == b'{"id": 1}\n'
        with pytest.raises(ArchiveDamaged) as refused:
            next(lines)
    finally:
        reader.close()
    assert "a line longer than" in refused.value.message_en and MEMBER in refused.value.message_en


def test_an_honest_archive_still_reads_in_full(tmp_path):
    rows = b"".join(json.dumps({"id": n, "name": "街道" * 50}).encode() + b"\n" for n in range(2000))
    photo = bytes(range(256)) * 4000
    path = write_archive(tmp_path / "ok.zip", {MEMBER: rows, "attachments/ab/" + "ab" * 32: photo})
    reader = ArchiveReader(path)
    try:
        assert b"".join(reader.lines(MEMBER)) == rows
        assert reader.declared_size(MEMBER) == len(rows)
    finally:
        reader.close()
