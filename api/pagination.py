"""One page of a list query: counts, then fetches only that page."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from api.extensions import db


def page_of(statement: Select, pagination_parameters, *order_by) -> list:
    pagination_parameters.item_count = total = db.session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery()))
    if pagination_parameters.first_item >= total:
        return []  # past the end: also keeps absurd page numbers away from the database
    return db.session.scalars(statement.order_by(*order_by).offset(pagination_parameters.first_item)
                              .limit(pagination_parameters.page_size)).all()
