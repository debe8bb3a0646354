"""Hostile uploads over real HTTP: XML that attacks the parser, bodies far over the limits, files that lie about
their type. Each is refused with a 4xx problem+json and leaves nothing behind.

Already covered elsewhere: XXE and billion laughs through POST /definitions as multipart
(test_definitions_api.py), parse_xml itself (tests/engine/test_xmlsafe.py), an attachment over the
attachment_max_mb setting and a script named .png (test_attachments.py).
"""
from __future__ import annotations

import io

import pytest

from tests.api.test_definitions_api import tiny_process

HUNDRED_MB = 100 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       + tiny_process("attack_xxe", "&xxe;").split(b"?>", 1)[1])
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                     for i in range(1, 10))
          + b"]><lolz>&lol9;</lolz>")
DEEP = b"<a>" * 100_000 + b"</a>" * 100_000


class Filler(io.RawIOBase):
    """``size`` bytes that exist only while they are sent: prefix, spaces, suffix (len() gives Content-Length)."""

    def __init__(self, size: int, prefix: bytes = b"", suffix: bytes = b""):
        self.parts = [prefix, None, suffix]
        self.filler_left = size - len(prefix) - len(suffix)
        self.size = size

    def __len__(self):
        return self.size

    def readable(self):
        return True

    def readinto(self, buffer):
        while self.parts:
            if self.parts[0] is None:
                n = min(len(buffer), self.filler_left)
                if n:
                    buffer[:n] = b" " * n
                    self.filler_left -= n
                    return n
            elif self.parts[0]:
                n = min(len(buffer), len(self.parts[0]))
                buffer[:n], self.parts[0] = self.parts[0][:n], self.parts[0][n:]
                return n
            self.parts.pop(0)
        return 0


def multipart(field: str, filename: str, size: int, content_type="application/xml"):
    """A multipart body of ``size`` bytes around one file part, streamed (requests would build it in memory)."""
    boundary = "citybpm-attack"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode() + b"<a>"
    tail = f"</a>\r\n--{boundary}--\r\n".encode()
    return Filler(size, head, tail), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture
def attachments_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


def deployed_versions(api) -> int:
    return len(api("admin").ok("GET", "/definitions", params={"page_size": 100}))


# ------------------------------------------------------------------ XML that attacks the parser

XML_DOORS = {
    "deploy, XML body": ("POST", "/definitions", "body"),
    "validate, multipart": ("POST", "/definitions/validate", "files"),
    "validate, XML body": ("POST", "/definitions/validate", "body"),
    "dispatch rules, XML body": ("PUT", "/dispatch-rules", "body"),
    "dispatch rules, JSON xml field": ("PUT", "/dispatch-rules", "json"),
}


def send_xml(api, door: str, content: bytes):
    method, path, how = XML_DOORS[door]
    admin = api("admin")
    if how == "files":
        return admin.request(method, path, files={"files": ("p.bpmn", content, "application/xml")})
    if how == "json":
        return admin.request(method, path, json={"xml": content.decode()})
    return admin.request(method, path, data=content, headers={"Content-Type": "application/xml"})


def refusal_codes(response) -> set[str]:
    body = problem(response, 422)
    return {e.get("code") for e in body.get("errors", [])} | {e.get("message") for e in body.get("errors", [])}


@pytest.mark.parametrize("door", XML_DOORS)
def test_xxe_is_refused_at_every_door(api, door):
    before = deployed_versions(api)
    response = send_xml(api, door, XXE)
    codes = refusal_codes(response)
    assert "xml.doctype" in codes or any("DOCTYPE" in str(c) for c in codes), response.text
    assert "root:" not in response.text  # /etc/passwd never read
    assert deployed_versions(api) == before


@pytest.mark.parametrize("door", XML_DOORS)
def test_billion_laughs_is_refused_at_every_door(api, door):
    before = deployed_versions(api)
    codes = refusal_codes(send_xml(api, door, LAUGHS))
    assert codes & {"xml.doctype", "xml.malformed"} or any("DOCTYPE" in str(c) for c in codes)
    assert deployed_versions(api) == before


@pytest.mark.parametrize("door", [*XML_DOORS, "deploy, multipart"])
def test_100_000_nested_elements_are_too_deep_not_a_crash(api, door):
    if door == "deploy, multipart":
        response = api("admin").post("/definitions", files={"files": ("p.bpmn", DEEP, "application/xml")})
    else:
        response = send_xml(api, door, DEEP)
    codes = refusal_codes(response)
    assert "xml.too_deep" in codes or any("嵌套过深" in str(c) for c in codes), response.text


# ------------------------------------------------------------------ 100 MB

BIG_DOORS = {
    "deploy, XML body": ("POST", "/definitions"),
    "validate, XML body": ("POST", "/definitions/validate"),
    "dispatch rules, XML body": ("PUT", "/dispatch-rules"),
}


@pytest.mark.parametrize("door", BIG_DOORS)
def test_a_100_mb_xml_body_is_refused_by_its_size(api, door):
    method, path = BIG_DOORS[door]
    before = deployed_versions(api)
    response = api("admin").request(method, path, data=Filler(HUNDRED_MB, b"<a>", b"</a>"),
                                    headers={"Content-Type": "application/xml"})
    assert problem(response, 413)["code"] == "too_large"
    assert deployed_versions(api) == before


@pytest.mark.parametrize("door", BIG_DOORS)
def test_a_100_mb_body_without_a_length_is_cut_off_at_the_limit(api, door):
    """Chunked: no Content-Length to refuse up front; the server stops reading at MAX_CONTENT_LENGTH."""
    method, path = BIG_DOORS[door]

    def chunks():
        yield b"<a>"
        for _ in range(100):
            yield b" " * (1024 * 1024)
        yield b"</a>"

    response = api("admin").request(method, path, data=chunks(), headers={"Content-Type": "application/xml"})
    assert problem(response, 413)["code"] == "too_large"


def test_a_json_body_without_a_length_past_the_limit_is_413_not_broken_json(api, app):
    """The start werkzeug reads before the limit is not the body: it used to fail as invalid JSON (400)."""
    limit = app.config["MAX_CONTENT_LENGTH"]

    def chunks():
        yield b'{"variables": {"address": "'
        for _ in range(limit // (1024 * 1024) + 2):
            yield b"a" * (1024 * 1024)
        yield b'"}}'

    before = api("jdy").get("/cases").json()
    response = api("jdy").post("/cases", data=chunks(), headers={"Content-Type": "application/json"})
    assert problem(response, 413)["code"] == "too_large"
    assert api("jdy").get("/cases").json() == before


@pytest.mark.parametrize("path", ["/definitions", "/definitions/validate"])
def test_a_100_mb_multipart_upload_is_refused_by_its_size(api, path):
    body, headers = multipart("files", "p.bpmn", HUNDRED_MB)
    assert problem(api("admin").post(path, data=body, headers=headers), 413)["code"] == "too_large"


def test_a_100_mb_attachment_is_refused_before_it_is_stored(api, attachments_dir):
    body, headers = multipart("file", "现场照片.png", HUNDRED_MB, content_type="image/png")
    assert problem(api("jdy").post("/attachments", data=body, headers=headers), 413)["code"] == "too_large"
    assert not attachments_dir.exists() or not any(attachments_dir.rglob("*"))


def test_a_file_over_the_per_file_limit_inside_the_request_limit_is_refused(api, app):
    over = app.config["CITYBPM_MAX_UPLOAD_BYTES"] + 1
    assert over < app.config["MAX_CONTENT_LENGTH"]
    response = api("admin").post("/definitions", files={"files": ("p.bpmn", b" " * over, "application/xml")})
    assert "p.bpmn" in problem(response, 413)["detail"]


# ------------------------------------------------------------------ attachments that lie

def upload(client, content, name="现场照片.png", content_type="image/png", **extra):
    return client.request("POST", "/attachments", files={"file": (name, content, content_type), **extra})


@pytest.mark.parametrize("content", [
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',   # an image type browsers run scripts in
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",                          # a Windows executable
    b"PK\x03\x04\x14\x00\x00\x00",                                   # a zip (or an .docx)
    b"",                                                              # nothing at all
], ids=["svg", "exe", "zip", "empty"])
def test_files_named_and_declared_as_photos_are_judged_by_their_bytes(api, attachments_dir, content):
    response = upload(api("jdy"), content)
    assert problem(response, 422)["code"] == "attachment_type_refused"
    assert not attachments_dir.exists() or not [p for p in attachments_dir.rglob("*") if p.is_file()]


def test_a_pdf_declared_as_a_photo_is_kept_and_served_as_a_pdf(api):
    body = upload(api("jdy"), b"%PDF-1.4\n%test\n", name="照片.jpg", content_type="image/jpeg").json()
    assert body["content_type"] == "application/pdf"
    served = api("jdy").request("GET", f"/attachments/{body['id']}")
    assert served.headers["Content-Type"] == "application/pdf"


def test_a_photo_with_html_after_its_header_is_never_served_as_html(api):
    polyglot = PNG + b"<html><script>alert(1)</script></html>"
    body = upload(api("jdy"), polyglot, name="x.html", content_type="text/html").json()
    served = api("jdy").request("GET", f"/attachments/{body['id']}")
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_the_allowed_types_follow_the_setting(api, app_context):
    from api.extensions import db
    from engine import settings_store

    settings_store.set(db.session, "attachment_types", ["image/png"], "admin")
    db.session.commit()
    try:
        assert problem(upload(api("jdy"), b"%PDF-1.4\n", name="a.pdf", content_type="application/pdf"),
                       422)["code"] == "attachment_type_refused"
        assert upload(api("jdy"), PNG).status_code == 201
    finally:
        settings_store.reset(db.session, "attachment_types")
        db.session.commit()


def test_a_path_in_the_file_name_is_dropped(api, attachments_dir):
    body = upload(api("jdy"), PNG, name="../../../etc/cron.d/x.png").json()
    assert body["name"] == "x.png"
    assert not (attachments_dir.parent / "etc").exists()


def test_a_nul_in_the_file_name_is_refused(api):
    assert problem(upload(api("jdy"), PNG, name="x\x00.png"), 422)["errors"][0]["field"] == "file"


def test_parts_beside_the_file_are_refused_not_ignored(api, attachments_dir):
    response = api("jdy").request("POST", "/attachments", files={"file": ("a.png", PNG, "image/png")},
                                  data={"case_no": "CG1"})
    assert problem(response, 422)["errors"] == [{"field": "case_no", "message": "未知字段"}]
    assert not attachments_dir.exists() or not [p for p in attachments_dir.rglob("*") if p.is_file()]
