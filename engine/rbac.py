"""What a role may do: permissions from the catalog, and the data it may see (its scope).

A user's permissions are the union over their roles; their data scope is the
widest of their roles' scopes. Scopes: ``self`` (what they started, took part in
or are asked to do), ``org`` (cases owned by their organisations), ``org_tree``
(… and every organisation below), ``all``.
"""
from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

SCOPES = ("self", "org", "org_tree", "all")  # narrow → wide


class RoleGrant(Base):
    __tablename__ = "role_grant"

    role_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    permissions: Mapped[list] = mapped_column(default=list)
    data_scope: Mapped[str] = mapped_column(String(20), default="self")


def widest(scopes) -> str:
    found = [s for s in scopes if s in SCOPES]
    return max(found, key=SCOPES.index) if found else "self"


def grants_for(conn, role_codes) -> tuple[frozenset[str], str]:
    """(permissions, data scope) of a set of roles."""
    if not role_codes:
        return frozenset(), "self"
    table = RoleGrant.__table__
    rows = conn.execute(select(table.c.permissions, table.c.data_scope)
                        .where(table.c.role_code.in_(sorted(role_codes)))).all()
    permissions = frozenset(p for row in rows for p in (row.permissions or []))
    return permissions, widest(row.data_scope for row in rows)
