"""Code lengths come from the settings, never from the code: GB/T 30428's 2 + 2 today, wider classes tomorrow.
Also the settings cache, the case-number checks and the evaluation weights and grades."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import catalog, evaluation_config, settings_store
from engine.catalog import Category, CodeLengths, Grid, category_code_errors
from engine.db import Base, make_engine, make_sessionmaker
from engine.deadlines import LIMITS, TimeLimit
from engine.errors import Conflict, InvalidData, NotFound
from engine.evaluation_config import EvaluationWeight
from engine.identity import Org
from engine.settings_store import SETTINGS, SystemSetting, UnknownSetting

TABLES = [SystemSetting, Category, Grid, TimeLimit, Org, EvaluationWeight]


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    Base.metadata.create_all(engine, tables=[model.__table__ for model in TABLES])
    with make_sessionmaker(engine)() as session:
        session.add(Org(code="DIST_A", name="东城区", kind="district", path="/DIST_A/"))
        session.commit()
        yield session
    SETTINGS.invalidate()
    engine.dispose()


def refusal(exc_info, field: str) -> str:
    return exc_info.value.field_errors[field]


# --- code rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,level,parent,lengths,ok", [
    ("01", "major", None, CodeLengths(2, 2), True),
    ("1", "major", None, CodeLengths(2, 2), False),
    ("0a", "major", None, CodeLengths(2, 2), False),
    ("0101", "minor", "01", CodeLengths(2, 2), True),
    ("0201", "minor", "01", CodeLengths(2, 2), False),   # not under its major
    ("01001", "minor", "01", CodeLengths(2, 2), False),
    ("01001", "minor", "01", CodeLengths(2, 3), True),   # GB/T 47678: five-digit classes
    ("0101", "minor", "01", CodeLengths(2, 3), False),
    ("001", "major", None, CodeLengths(3, 2), True),
])
def test_code_rules_follow_the_configured_lengths(code, level, parent, lengths, ok):
    assert (category_code_errors(code, level, parent, lengths) is None) is ok


def test_widening_the_codes_needs_the_old_ones_disabled_first(session):
    catalog.create_category(session, code="01", name="公用设施", kind="part", level="major")
    catalog.create_category(session, code="0101", name="上水井盖", level="minor", parent_code="01")
    session.commit()
    with pytest.raises(InvalidData) as refused:
        settings_store.set(session, "category_code_lengths", {"major": 2, "minor": 3}, "admin")
    assert "0101" in refusal(refused, "value")
    session.rollback()

    catalog.disable_category(session, "01")
    assert session.scalars(select(Category.is_active).where(Category.code == "0101")).one() is False
    before, after = settings_store.set(session, "category_code_lengths", {"major": 2, "minor": 3}, "admin")
    session.commit()
    assert before == {"major": 2, "minor": 2} and after == {"major": 2, "minor": 3}
    assert settings_store.get(session.connection(), "category_code_lengths") == after

    catalog.create_category(session, code="05", name="公用设施（新）", kind="part", level="major")
    with pytest.raises(InvalidData) as refused:
        catalog.create_category(session, code="0501", name="短编码", level="minor", parent_code="05")
    assert "5 位数字" in refusal(refused, "code")
    minor = catalog.create_category(session, code="05001", name="上水井盖", level="minor", parent_code="05",
                                    handle_amount=4, handle_unit="urgent_hours")
    assert (minor.kind, minor.handle_amount, minor.handle_unit) == ("part", 4, "urgent_hours")
    assert LIMITS.lookup(session.connection(), "handle", "05001").amount == 4


def test_part_ids_must_hold_the_class_codes(session):
    with pytest.raises(InvalidData) as refused:
        settings_store.set(session, "category_code_lengths", {"major": 5, "minor": 5}, "admin")
    assert "部件标识码至少 17 位" in refusal(refused, "value")
    settings_store.set(session, "part_id_length", 17, "admin")
    settings_store.set(session, "category_code_lengths", {"major": 5, "minor": 5}, "admin")
    with pytest.raises(InvalidData):
        settings_store.set(session, "part_id_length", 16, "admin")


def test_grid_codes_follow_their_length_setting(session):
    with pytest.raises(InvalidData) as refused:
        catalog.create_grid(session, code="1101010010010", name="短", org_code="DIST_A")
    assert "15 位数字" in refusal(refused, "code")
    catalog.create_grid(session, code="110101001001001", name="第1网格", org_code="DIST_A")
    with pytest.raises(Conflict):
        catalog.create_grid(session, code="110101001001001", name="又一个", org_code="DIST_A")
    session.commit()
    with pytest.raises(InvalidData):
        settings_store.set(session, "grid_code_length", 12, "admin")
    session.rollback()
    catalog.disable_grid(session, "110101001001001")
    settings_store.set(session, "grid_code_length", 12, "admin")
    grid = catalog.create_grid(session, code="110101001001", name="十二位网格", org_code="DIST_A")
    assert grid.is_active
    with pytest.raises(InvalidData) as refused:  # the old code no longer fits
        catalog.update_grid(session, "110101001001001", {"is_active": True})
    assert "位数不符" in refusal(refused, "is_active")


def test_a_minor_limit_is_the_time_limit_row(session):
    catalog.create_category(session, code="10", name="市容环境", kind="event", level="major")
    row = catalog.create_category(session, code="1001", name="暴露垃圾", level="minor", parent_code="10",
                                  handle_amount=2, handle_unit="work_hours")
    limit = session.scalars(select(TimeLimit).where(TimeLimit.category_code == "1001")).one()
    assert (limit.stage, limit.amount, limit.unit) == ("handle", 2, "work_hours")
    before, after = catalog.update_category(session, "1001", {"handle_amount": 1, "handle_unit": "work_days"})
    assert (before["handle_amount"], after["handle_amount"], after["handle_unit"]) == (2, 1, "work_days")
    session.commit()
    assert LIMITS.lookup(session.connection(), "handle", "1001").unit == "work_days"
    catalog.update_category(session, "1001", {"handle_amount": None, "handle_unit": None})
    assert session.scalars(select(TimeLimit)).all() == [] and row.handle_amount is None


def test_seeding_the_demo_catalog_twice_adds_nothing(session):
    created = catalog.seed_demo_catalog(session)
    assert created == (len(catalog.DEMO_MAJORS) + len(catalog.DEMO_MINORS), len(catalog.DEMO_GRIDS))
    assert catalog.seed_demo_catalog(session) == (0, 0)
    lengths = catalog.code_lengths(session.connection())
    for row in session.scalars(select(Category)):
        assert category_code_errors(row.code, row.level, row.parent_code, lengths) is None, row.code
    tree = catalog.category_tree(session, kind="part")
    assert [m["code"] for m in tree] == ["01", "02", "03", "04"]
    assert tree[0]["children"][0] | {"filing_standard": None, "closing_standard": None} == {
        "code": "0101", "name": "上水井盖", "kind": "part", "level": "minor", "parent_code": "01",
        "is_active": True, "sort": 0, "filing_standard": None, "closing_standard": None,
        "handle_amount": 4.0, "handle_unit": "urgent_hours"}


# --- settings ------------------------------------------------------------------------------------------

def test_settings_default_set_and_cached(session):
    conn = session.connection()
    assert settings_store.get(conn, "warn_share") == 0.8
    assert settings_store.set(session, "warn_share", 0.75, "admin") == (0.8, 0.75)
    session.commit()
    assert settings_store.get(session.connection(), "warn_share") == 0.75
    # a change behind the store's back is seen only when the cache expires (another process: ≤ TTL)
    with session.get_bind().begin() as elsewhere:
        elsewhere.execute(SystemSetting.__table__.update().values(value=0.6))
    assert settings_store.get(session.connection(), "warn_share") == 0.75
    SETTINGS.invalidate()
    assert settings_store.engine_settings_from(session.connection()) == {
        "case_number_prefix": "CG", "case_number_pattern": "{prefix}{date:%Y%m%d}{seq:04d}",
        "warn_share": 0.6, "hang_max_days": 365, "extension_max_grants": 2, "extension_max_share": 1.0,
        "extension_when_overdue": False, "duplicate_window_hours": 24}
    with pytest.raises(UnknownSetting):
        settings_store.get(session.connection(), "nope")


def test_a_rolled_back_change_is_not_left_in_the_cache(session):
    settings_store.set(session, "hang_max_days", 30, "admin")
    assert settings_store.get(session.connection(), "hang_max_days") == 30  # read inside the transaction
    session.rollback()
    assert settings_store.get(session.connection(), "hang_max_days") == 365


def test_prefix_and_pattern_are_checked_together(session):
    settings_store.set(session, "case_number_pattern", "{prefix}{date:%Y%m%d}{seq:025d}", "admin")  # CG: 35
    with pytest.raises(InvalidData) as refused:  # 10 + 8 + 25 = 43 > 40
        settings_store.set(session, "case_number_prefix", "ABCDEFGHIJ", "admin")
    assert "超过 40 位" in refusal(refused, "value")
    settings_store.set(session, "case_number_prefix", "ABCDE", "admin")


def test_deployment_defaults_replace_the_registered_ones_until_an_admin_sets_a_value(session, monkeypatch):
    monkeypatch.setattr(settings_store, "_DEFAULT_OVERRIDES", {})
    settings_store.use_defaults(case_number_prefix="DC")
    assert settings_store.get(session.connection(), "case_number_prefix") == "DC"
    with pytest.raises(ValueError):
        settings_store.use_defaults(warn_share=2)
    settings_store.set(session, "case_number_prefix", "XC", "admin")
    assert settings_store.get(session.connection(), "case_number_prefix") == "XC"


# --- evaluation ----------------------------------------------------------------------------------------

def test_default_weights_sum_to_one_and_match_domain(session):
    conn = session.connection()
    for party in evaluation_config.PARTIES:
        assert sum(evaluation_config.weight_map(conn, party).values()) == pytest.approx(1)
    assert evaluation_config.weight_map(conn, "department") == {
        "handled_rate": 0.3, "handled_on_time_rate": 0.4, "rework_rate": 0.3}
    with pytest.raises(NotFound):
        evaluation_config.weights(conn, "mayor")


def test_weights_not_summing_to_one_are_refused(session):
    with pytest.raises(InvalidData) as refused:
        evaluation_config.set_weights(session, "region", {"closed_rate": 0.5, "closed_on_time_rate": 0.4}, "admin")
    assert "90%" in refusal(refused, "weights")
    before, after = evaluation_config.set_weights(session, "region", {"closed_rate": 0.6,
                                                                      "closed_on_time_rate": 0.4}, "admin")
    assert before["filed_count"] == 0.2 and after == {"supervision_report_rate": 0, "filed_count": 0,
                                                      "closed_rate": 0.6, "closed_on_time_rate": 0.4}
    assert evaluation_config.weight_map(session.connection(), "region") == after


def test_composite_score_and_grades(session):
    conn = session.connection()
    # 处置率 1.0 → 100, 按期 0.8 → 80, 返工率 0.1 → 90: 30 + 32 + 27 = 89 → B
    score = evaluation_config.composite_score(conn, "department", {"handled_rate": 1.0, "handled_on_time_rate": 0.8,
                                                                    "rework_rate": 0.1})
    assert score == pytest.approx(89) and evaluation_config.grade(score) == "B"
    # 受理数 400 of the best 500 → 80 分 × 25 % = 20
    acceptor = evaluation_config.composite_score(conn, "acceptor", {"accepted_count": 400},
                                                 best_counts={"accepted_count": 500})
    assert acceptor == pytest.approx(20)
    grades = [evaluation_config.grade(s) for s in (100, 90, 89.99, 75, 74.9, 60, 40, 39.99, 0)]
    assert grades == ["A", "A", "B", "B", "C", "C", "D", "E", "E"]
    with pytest.raises(ValueError):
        evaluation_config.grade(101)
    bands = [{"grade": "优", "min": 85}, {"grade": "良", "min": 70}, {"grade": "差", "min": 0}]
    assert evaluation_config.grade(80, bands) == "良"


def test_describe_shows_who_changed_what(session, virtual_clock):
    settings_store.set(session, "grid_code_length", 15, "admin")
    session.commit()
    described = {entry["key"]: entry for entry in settings_store.describe(session)}
    assert described["grid_code_length"] | {"updated_at": None} == {
        "key": "grid_code_length", "type": "integer", "value": 15, "default": 15, "is_default": False,
        "description_zh": "单元网格编码位数", "description_en": "unit grid code length (digits)",
        "updated_at": None, "updated_by": "admin"}
    assert described["grid_code_length"]["updated_at"] == virtual_clock.now()
    assert described["warn_share"]["is_default"] is True and described["warn_share"]["updated_by"] is None
