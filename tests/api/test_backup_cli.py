"""Backup and restore (issue 10): `citybpm backup export` of a database with real history, `citybpm backup import`
into a second, separately migrated database (SQLite; and PostgreSQL when the suite runs on it), which then
equals the source table by table and carries the cases on. Damaged archives, another schema revision and a
target holding data are refused and change nothing."""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections import namedtuple
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from api.app import create_app
from api.cli import main
from api.extensions import db
from engine.backup import EXCLUDED, backed_up_tables, importing, load_models
from engine.backup.tables import unknown_tables
from tests.api.test_attachments import PNG, upload
from tests.api.test_closed_loop_flow import file_and_dispatch, handle_and_feed_back, report
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import ApiClient, serving

DiskUsage = namedtuple("DiskUsage", "total used free")  # what shutil.disk_usage answers
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))


# --- databases beside the suite's own ---------------------------------------------------------------------

@pytest.fixture
def databases(tmp_path):
    """databases(kind, revision="heads") → a new app on its own freshly migrated database (a SQLite file, or a
    second PostgreSQL database on the suite's server), disposed (and dropped) afterwards."""
    made = []

    def make(kind: str, revision: str = "heads"):
        number = len(made) + 1
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'copy{number}.sqlite3'}"
        else:
            url = _create_postgres_database(f"citybpm_backup_copy{number}")
        application = create_app({"SQLALCHEMY_DATABASE_URI": url, "CITYBPM_ENV": "test", "TESTING": True,
                                  "CITYBPM_SCHEDULER": "off", "CITYBPM_TOKEN_HOURS": 24 * 365 * 20,
                                  "CITYBPM_LOGIN_LIMIT_ADDRESS": "100000 per minute",
                                  "CITYBPM_ATTACHMENTS_DIR": str(tmp_path / f"attachments{number}")})
        with application.app_context():
            upgrade(directory=application.extensions["migrate"].directory, revision=revision)
        made.append((application, kind, url))
        return application

    yield make
    for application, kind, url in made:
        with application.app_context():
            db.engine.dispose()
        if kind == "postgresql":
            _drop_postgres_database(url)


def _admin_engine():
    return sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")


def _create_postgres_database(name: str) -> str:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


# --- the commands -----------------------------------------------------------------------------------------

def export(application, path):
    result = application.test_cli_runner().invoke(main, ["backup", "export", str(path)])
    assert result.exit_code == 0, result.output
    return result


def run_import(application, path, *options):
    return application.test_cli_runner().invoke(main, ["backup", "import", *options, str(path)])


def contents(application) -> dict[str, list[tuple]]:
    """Every backed-up table's rows, read through the models' types, in key order."""
    tables = backed_up_tables(load_models())
    found = {}
    with application.app_context(), db.engine.connect() as conn:
        for table in tables:
            keys = [table.columns.keys().index(c.name) for c in table.primary_key.columns]
            rows = [tuple(row) for row in conn.execute(sa.select(table))]
            found[table.name] = sorted(rows, key=lambda row: tuple(row[i] for i in keys))
    return found


def count(application, table: str) -> int:
    with application.app_context():
        return db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


# --- a history built through the API ----------------------------------------------------------------------

@pytest.fixture
def attachments_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_ATTACHMENTS_DIR", str(tmp_path / "source-attachments"))
    return tmp_path / "source-attachments"


def build_history(api, virtual_clock) -> dict[str, str]:
    """A closed case with a photo and one rework; a case at 处置 copied to another department with an approved
    extension; a suspended (挂账) case; a fresh report. Returns their case numbers."""
    photo = upload(api("jdy")).json()
    closed = report(api, photos=[photo["ref"]])["case_no"]
    file_and_dispatch(api, closed)
    handle_and_feed_back(api, closed)
    api("jdy").complete(closed, "check", {"check_result": "fail", "check_opinion": "井盖仍松动"})
    handle_and_feed_back(api, closed)
    api("jdy2").complete(closed, "check", {"check_result": "pass", "check_opinion": "已修复"})
    api("zbz").complete(closed, "close", {"close_opinion": "结案"})

    at_disposal = report(api, reporter="rx", source="hotline_12345", reporter_phone="13800000000")["case_no"]
    api("jdy").complete(at_disposal, "verify", {"verify_result": "confirmed", "verify_opinion": "属实"})
    file_and_dispatch(api, at_disposal)
    task = api("sw").task_for(at_disposal, "handle")
    api("sw").ok("POST", f"/tasks/{task['id']}/cc", json={"users": ["hw"], "note": "请知悉"})
    request = api("sw").ok("POST", f"/tasks/{task['id']}/extension-requests", 201,
                           json={"reason": "等待配件到货"})
    api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={"note": "同意"})

    suspended = report(api)["case_no"]
    file_and_dispatch(api, suspended)
    hang = api("sw").ok("POST", f"/tasks/{api('sw').task_for(suspended, 'handle')['id']}/hang-requests", 201,
                        json={"reason": "雨季施工，挂账"})
    api("zbz").ok("POST", f"/approvals/{hang['id']}/approve", json={"note": "同意挂账"})

    fresh = report(api, address="和平路 30 号")["case_no"]
    return {"closed": closed, "at_disposal": at_disposal, "suspended": suspended, "fresh": fresh}


# --- the tests --------------------------------------------------------------------------------------------

def test_every_table_is_backed_up_or_excluded_for_a_stated_reason(app):
    metadata = load_models()
    with app.app_context(), db.engine.connect() as conn:
        assert unknown_tables(conn, metadata) == []
        present = set(sa.inspect(conn).get_table_names())
    backed_up = {t.name for t in backed_up_tables(metadata)}
    assert present - backed_up <= set(EXCLUDED)
    assert {"process_definition_file", "form_definition", "app_user", "work_calendar_day", "process_instance",
            "task", "event", "timer", "attachment", "case_sequence"} <= backed_up
    assert {"api_token", "evaluation_fact", "evaluation_watermark"} <= present - backed_up
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_restored_copy_equals_the_source_and_carries_the_cases_on(app, api, databases, tmp_path,
                                                                  attachments_dir, virtual_clock):
    cases = build_history(api, virtual_clock)
    source = contents(app)
    assert source["process_instance"] and source["task_copy"] and source["approval_request"]
    assert source["case_pause"] and source["timer"] and source["attachment"]

    month = {"month": virtual_clock.now().strftime("%Y-%m")}
    source_heat = api("ld").ok("GET", "/evaluation/heatmap", params=month)  # the source derives its passages
    archive = tmp_path / "source.zip"
    exported = export(app, archive)
    assert "process_instance:" in exported.stderr  # rows per table, on stderr
    with zipfile.ZipFile(archive) as packed:
        manifest = json.loads(packed.read("manifest.json"))
        for member, sha256 in manifest["members"].items():
            assert hashlib.sha256(packed.read(member)).hexdigest() == sha256
    with app.app_context():
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert manifest["schema_revision"] == revision
    assert manifest["tables"]["process_instance"] == len(source["process_instance"])
    assert "api_token" not in manifest["tables"] and "evaluation_fact" not in manifest["tables"]

    # SQLite → SQLite; on PostgreSQL: PostgreSQL → SQLite → PostgreSQL (the move to production and back)
    hops = ["sqlite"] + (["postgresql"] if ON_POSTGRES else [])
    copy = None
    for number, kind in enumerate(hops):
        copy = databases(kind)
        result = run_import(copy, archive)
        assert result.exit_code == 0, result.output
        assert contents(copy) == source, f"the {kind} copy differs from the source"
        assert count(copy, "api_token") == 0 and count(copy, "evaluation_fact") == 0
        archive = tmp_path / f"hop{number}.zip"
        export(copy, archive)

    # the photo's file came along, by content, into the copy's attachment directory
    digest = hashlib.sha256(PNG).hexdigest()
    assert (tmp_path / f"attachments{len(hops)}" / digest[:2] / digest).read_bytes() == PNG

    with serving(copy) as base_url:
        people: dict[str, ApiClient] = {}

        def on_copy(username):  # passwords travelled; the source's tokens did not
            if username not in people:
                people[username] = ApiClient(base_url).login(username)
            return people[username]

        # derived counts did not travel: the copy's heat map counts the imported events once, as the source's did
        assert on_copy("ld").ok("GET", "/evaluation/heatmap", params=month)["nodes"] == source_heat["nodes"]

        stale = api("sw").http.headers["Authorization"]
        assert ApiClient(base_url).http.get(f"{base_url}/api/v1/auth/me",
                                            headers={"Authorization": stale}).status_code == 401

        # the open 处置 task carries on: disposal, feedback, check, close, 回访
        case_no = cases["at_disposal"]
        handle_and_feed_back(on_copy, case_no)
        on_copy("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "合格"})
        on_copy("zbz").complete(case_no, "close", {"close_opinion": "结案"})
        on_copy("sly").complete(case_no, "revisit", {"satisfaction": "satisfied", "revisit_note": "电话回访"})
        closed = on_copy("sly").ok("GET", f"/cases/{case_no}")
        assert (closed["status"], closed["outcome"]) == ("completed", "closed")
        types = [e["type"] for e in on_copy("zbz").ok("GET", f"/cases/{case_no}/events",
                                                    params={"page_size": 100})]
        assert "extension.approved" in types and types[-1] == "case.ended"  # history before and after the move

        # the paused case resumes, the copied-to department still sees its copy, and new cases get new numbers
        assert on_copy("zbz").ok("POST", f"/cases/{cases['suspended']}/resume",
                                 json={"reason": "恢复办理"})["status"] == "running"
        assert [c["case_no"] for c in on_copy("hw").ok("GET", "/copies")] == [cases["at_disposal"]]
        new = on_copy("jdy").ok("POST", "/cases", 201, json={"process_key": "closed_loop", "variables": {
            "source": "supervisor", "category_type": "part", "category_code": "0101",
            "grid_code": "110101001001001", "address": "和平路 40 号", "description": "新上报"}})
        assert new["case_no"] not in cases.values()
        # 绩效考核 facts did not travel: the first report rebuilds them from the imported events
        on_copy("admin").ok("GET", "/evaluation/report",
                            params={"party": "department", "month": virtual_clock.now().strftime("%Y-%m")})
    assert count(copy, "evaluation_fact") > 0


def _rewrite(archive, target, *, manifest_change=None, member_change=None):
    """A copy of ``archive`` with the manifest or one member's bytes changed."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "manifest.json" and manifest_change:
                manifest = json.loads(data)
                manifest_change(manifest)
                data = json.dumps(manifest).encode()
            elif member_change and info.filename == member_change[0]:
                data = member_change[1](data)
            out.writestr(info, data)
    return target


def _flip_a_byte(archive, target, member):
    """The same file with one byte of ``member``'s compressed data inverted (as a failing disk would)."""
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as packed:
        info = packed.getinfo(member)
    name_length = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    return target


@pytest.fixture
def restored(app, databases, tmp_path):
    """(archive of the suite's database, a copy that already holds it)."""
    archive = tmp_path / "good.zip"
    export(app, archive)
    copy = databases("sqlite")
    assert run_import(copy, archive).exit_code == 0
    return archive, copy


@pytest.mark.parametrize("damage", ["flipped byte", "manifest checksum", "extra row"])
def test_a_damaged_archive_is_refused_and_changes_nothing(restored, tmp_path, damage):
    archive, copy = restored
    member = "tables/process_definition_file.jsonl"  # read after process_definition: rows are in by then
    if damage == "flipped byte":
        bad = _flip_a_byte(archive, tmp_path / "bad.zip", member)
    elif damage == "manifest checksum":
        bad = _rewrite(archive, tmp_path / "bad.zip",
                       manifest_change=lambda m: m["members"].__setitem__(member, "0" * 64))
    else:  # a row added and the checksum made to match: the row count in the manifest still differs
        def add_row(data):
            row = json.loads(data.splitlines()[0])
            return data + json.dumps({**row, "id": 999999}).encode() + b"\n"

        bad = tmp_path / "bad.zip"
        _rewrite(archive, bad, member_change=(member, add_row))
        with zipfile.ZipFile(bad) as packed:
            digest = hashlib.sha256(packed.read(member)).hexdigest()
        bad = _rewrite(bad, tmp_path / "bad2.zip",
                       manifest_change=lambda m: m["members"].__setitem__(member, digest))
    before = contents(copy)
    result = run_import(copy, bad, "--replace")
    assert result.exit_code == 1, result.output
    assert "备份文件已损坏" in result.output and "nothing was changed" in result.output
    assert contents(copy) == before


def test_a_target_holding_data_needs_replace(restored, app, api):
    archive, copy = restored
    before = contents(copy)
    refused = run_import(copy, archive)
    assert refused.exit_code == 1
    assert "目标数据库已有数据" in refused.output and "--replace" in refused.output
    assert contents(copy) == before

    report(api)  # the source moves on; the copy is replaced by the newer backup
    newer = archive.with_name("newer.zip")
    export(app, newer)
    replaced = run_import(copy, newer, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert contents(copy) == contents(app)


def test_attachment_files_that_would_not_fit_on_the_disk_are_refused_before_anything_changes(
        app, api, databases, tmp_path, attachments_dir, monkeypatch):
    photo = upload(api("jdy")).json()
    report(api, photos=[photo["ref"]])
    archive = tmp_path / "with-photo.zip"
    export(app, archive)
    copy = databases("sqlite")
    before = contents(copy)
    asked = []

    def nearly_full(path):  # the disk the attachments would go to, with its reserve and one byte free
        asked.append(Path(path))
        return DiskUsage(total=10**12, used=10**12 - importing.DISK_RESERVE - 1, free=importing.DISK_RESERVE + 1)

    with monkeypatch.context() as patched:
        patched.setattr(importing.shutil, "disk_usage", nearly_full)
        refused = run_import(copy, archive)
    assert refused.exit_code == 1, refused.output
    assert "磁盘空间不足" in refused.output and "not enough disk space" in refused.output
    assert asked and all(path.exists() for path in asked)  # the directory's nearest existing ancestor
    assert contents(copy) == before
    restored_files = Path(copy.config["CITYBPM_ATTACHMENTS_DIR"])
    assert not restored_files.exists() or not any(restored_files.rglob("*"))

    assert run_import(copy, archive).exit_code == 0  # the same archive, with the disk as it really is


def test_a_target_at_another_schema_revision_is_refused(app, databases, tmp_path):
    archive = tmp_path / "good.zip"
    export(app, archive)
    with zipfile.ZipFile(archive) as packed:
        revision = json.loads(packed.read("manifest.json"))["schema_revision"]

    behind = databases("sqlite", revision="0015")  # a database not upgraded yet
    refused = run_import(behind, archive)
    assert refused.exit_code == 1 and "citybpm setup" in refused.output and revision in refused.output
    assert count(behind, "process_definition") == 0

    current = databases("sqlite")
    newer = _rewrite(archive, tmp_path / "newer.zip", manifest_change=lambda m: m.update(schema_revision="9999"))
    refused = run_import(current, newer)
    assert refused.exit_code == 1 and "newer version of citybpm" in refused.output
    older = _rewrite(archive, tmp_path / "older.zip", manifest_change=lambda m: m.update(schema_revision="0015"))
    refused = run_import(current, older)
    assert refused.exit_code == 1 and "older version" in refused.output
    assert count(current, "process_definition") == 0 and count(current, "app_user") == 0

    not_ours = tmp_path / "not-a-backup.zip"
    not_ours.write_bytes(b"PK\x03\x04 this is not a zip")
    refused = run_import(current, not_ours)
    assert refused.exit_code == 1 and "not a citybpm backup" in refused.output


def test_export_reads_one_snapshot_while_the_server_writes(app, api, tmp_path):
    """Export may run online: a task completed while it runs is either wholly in the archive or wholly not."""
    from engine.backup import export_archive

    case_no = report(api)["case_no"]
    events_before, tasks_before = count(app, "event"), count(app, "task")
    completed = []

    def complete_while_exporting(table, done, total):
        if not completed:  # the first table is written; event and task are still to be read
            api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "属实"})
            completed.append(table)

    with app.app_context(), db.engine.connect() as conn:
        manifest = export_archive(conn, tmp_path / "online.zip", progress=complete_while_exporting)
    assert completed and count(app, "event") > events_before  # the completion committed during the export
    assert (manifest["tables"]["event"], manifest["tables"]["task"]) == (events_before, tasks_before)


def test_a_table_without_a_model_stops_the_export_rather_than_being_left_out(databases, tmp_path):
    copy = databases("sqlite")
    with copy.app_context():
        db.session.execute(sa.text("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)"))
        db.session.commit()
    result = copy.test_cli_runner().invoke(main, ["backup", "export", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "hand_made" in result.output
    assert not list(tmp_path.glob("*x.zip*"))  # no archive, not even a partial one
