"""Organisations, people, roles and API tokens: who may be offered a task.

The organisation tree keeps ``parent_id`` and a materialized ``path`` of codes ("/CITY/DIST_A/ST_HEPING/"):
"this organisation and below" is one ``path LIKE '/CITY/DIST_A/%'`` served by ``ix_org_path``
(engine.org_service keeps paths right on create and move; codes never change).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class Org(Base):
    __tablename__ = "org"
    __table_args__ = (
        # subtree queries: path LIKE '<prefix>%' (text_pattern_ops: PostgreSQL serves LIKE under any collation)
        Index("ix_org_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_org_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # city | district | street | community | centre | department | team
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))
    path: Mapped[str] = mapped_column(String(500))
    leader_username: Mapped[str | None] = mapped_column(String(100))
    grids: Mapped[list] = mapped_column(default=list)  # unit-grid codes (万米单元网格) the organisation serves
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def parent_code(self) -> str | None:
        codes = path_codes(self.path)
        return codes[-2] if len(codes) > 1 else None

    @property
    def depth(self) -> int:
        return len(path_codes(self.path))


def path_codes(path: str) -> list[str]:
    """'/CITY/DIST_A/' → ['CITY', 'DIST_A'] (root first)."""
    return [code for code in (path or "").split("/") if code]


class Role(Base):
    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    post: Mapped[str | None] = mapped_column(String(100))  # 岗位
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[_dt.datetime | None]
    roles: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    memberships: Mapped[list["Membership"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                           order_by="Membership.id")

    @property
    def primary_org(self) -> str | None:
        primary = [m.org_code for m in self.memberships if m.is_primary]
        return primary[0] if primary else (self.memberships[0].org_code if self.memberships else None)

    def actor(self) -> "Actor":
        return Actor(self.username, frozenset(r.role_code for r in self.roles),
                     frozenset(m.org_code for m in self.memberships),
                     frozenset(m.org.path for m in self.memberships if m.org is not None))


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"))


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "org_code"),
                      Index("ix_membership_org_code", "org_code"))  # members of an organisation (and below)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("org.code"))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    org: Mapped[Org | None] = relationship(lazy="joined", viewonly=True)


class ApiToken(Base):
    """Bearer tokens, stored as SHA-256 digests only (the token itself is shown once)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[_dt.datetime]
    expires_at: Mapped[_dt.datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


@dataclass(frozen=True)
class Actor:
    """Whoever acts: a username with the roles and organisations it belongs to.

    ``org_paths`` holds the materialized paths of those organisations ("/CITY/DIST_A/"), for data-scope
    checks "organisation and below": ``org.path LIKE <one of them> || '%'`` (see engine.org_service.within).
    """

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    orgs: frozenset[str] = field(default_factory=frozenset)
    org_paths: frozenset[str] = field(default_factory=frozenset)

    def candidate_keys(self) -> list[tuple[str, str]]:
        return ([("user", self.username)] + [("role", r) for r in sorted(self.roles)]
                + [("org", o) for o in sorted(self.orgs)])

SYSTEM = Actor("system")


def usernames_for(conn, candidates, assignee: str | None = None) -> list[str]:
    """The active people behind an assignee or candidate entries (user / role / org), for notifying."""
    if assignee:
        return [assignee]
    users = sorted(v for k, v in candidates if k == "user")
    roles = sorted(v for k, v in candidates if k == "role")
    orgs = sorted(v for k, v in candidates if k == "org")
    people = User.__table__
    found = set(users)
    if roles:
        found.update(conn.execute(select(people.c.username).join(UserRole.__table__)
                                  .where(UserRole.__table__.c.role_code.in_(roles), people.c.is_active)).scalars())
    if orgs:
        found.update(conn.execute(select(people.c.username).join(Membership.__table__)
                                  .where(Membership.__table__.c.org_code.in_(orgs), people.c.is_active)).scalars())
    return sorted(found)
