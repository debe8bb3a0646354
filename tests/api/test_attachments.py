"""Attachments (issues 8 and 10): upload within the limits, download by the uploader and the case's readers."""
from __future__ import annotations

import hashlib
import os
import tempfile
from types import SimpleNamespace

import pytest

from engine import attachments
from tests.api.test_closed_loop_flow import report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def attachments_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


def upload(client, content=PNG, name="现场照片.png", content_type="image/png"):
    return client.request("POST", "/attachments", files={"file": (name, content, content_type)})


def test_upload_is_stored_by_content_and_read_back_by_the_uploader(api, attachments_dir):
    response = upload(api("jdy"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "现场照片.png" and body["size"] == len(PNG) and body["content_type"] == "image/png"
    assert body["url"] == f"/api/v1/attachments/{body['id']}" and body["ref"] == f"attachment:{body['id']}"
    digest = hashlib.sha256(PNG).hexdigest()
    assert (attachments_dir / digest[:2] / digest).read_bytes() == PNG
    assert not list(attachments_dir.rglob("*.png"))  # never under the user's name

    file = api("jdy").request("GET", f"/attachments/{body['id']}")
    assert file.status_code == 200 and file.content == PNG
    assert file.headers["Content-Type"] == "image/png"
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''" in file.headers["Content-Disposition"]


def test_case_readers_may_download_a_reported_photo_outsiders_may_not(api):
    photo = upload(api("jdy")).json()
    case = report(api, photos=[photo["ref"]])
    assert api("sly").request("GET", f"/attachments/{photo['id']}").content == PNG  # the acceptor sees the case
    refused = api("hw").request("GET", f"/attachments/{photo['id']}")  # another department's handler does not
    assert refused.status_code == 404
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert api("sly").ok("GET", f"/cases/{case['case_no']}")["variables"]["photos"] == [photo["ref"]]

    unreferenced = upload(api("jdy"), content=PDF, name="a.pdf", content_type="application/pdf").json()
    assert api("sly").request("GET", f"/attachments/{unreferenced['id']}").status_code == 404


def test_too_large_upload_is_refused_with_413(api, app_context):
    from api.extensions import db
    from engine import settings_store

    settings_store.set(db.session, "attachment_max_mb", 1, "admin")
    db.session.commit()
    try:
        response = upload(api("jdy"), content=PNG + b"\x00" * (1024 * 1024))
        assert response.status_code == 413
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert "1 MB" in response.json()["detail"] or "1 MB" in response.text
    finally:
        settings_store.reset(db.session, "attachment_max_mb")
        db.session.commit()


def test_type_is_judged_by_content_not_by_name(api):
    response = upload(api("jdy"), content=b"<script>alert(1)</script>", name="photo.png", content_type="image/png")
    assert response.status_code == 422
    assert "按文件内容" in response.text
    gif = upload(api("jdy"), content=b"GIF89a" + b"\x00" * 20, name="x.gif", content_type="image/gif")
    assert gif.status_code == 422  # recognised, but not in the default attachment_types


def test_a_full_disk_is_refused_with_507_and_leaves_nothing_behind(api, attachments_dir, monkeypatch):
    def on_a_full_disk(**options):  # the upload is written to /dev/full: the kernel answers ENOSPC, as a full disk
        handle, path = tempfile.mkstemp(**options)
        os.close(handle)
        return os.open("/dev/full", os.O_WRONLY), path

    with monkeypatch.context() as patched:
        patched.setattr(attachments, "tempfile", SimpleNamespace(mkstemp=on_a_full_disk))
        refused = upload(api("jdy"))
    assert refused.status_code == 507, refused.text
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "storage_full" and "存储空间已满" in refused.json()["detail"]
    assert not [path for path in attachments_dir.rglob("*") if path.is_file()]

    assert upload(api("jdy")).status_code == 201  # room again: the same upload is kept


def test_upload_needs_a_file(api):
    assert api("jdy").request("POST", "/attachments").status_code == 422
