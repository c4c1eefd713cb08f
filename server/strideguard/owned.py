"""Which tables hold a runner's rows (derived from the models, so a new table is never
missed), and reading one of a runner's rows by id (another runner's is not found)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from strideguard.errors import NotFound
from strideguard.extensions import db

#: Ids are 32-bit integers in the database: a larger id in a URL is simply not found
#: (PostgreSQL would otherwise refuse the query with "integer out of range": a 500).
MAX_ID = 2**31 - 1


def own_row(model: Any, user_id: int, row_id: int, noun: str) -> Any:
    """``model``'s row ``row_id`` if it belongs to ``user_id``; else 404 "No such {noun}."
    (another runner's row gets the same answer: nothing says it exists)."""
    found = None
    if 0 < row_id <= MAX_ID:
        found = db.session.execute(
            select(model).where(model.id == row_id, model.user_id == user_id)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No such {noun}.")
    return found


def owned_models() -> list[type]:
    """Every mapped model with a ``user_id`` column, children before parents."""
    by_table = {m.class_.__table__: m.class_ for m in db.Model.registry.mappers}
    ordered = reversed(db.metadata.sorted_tables)
    return [by_table[t] for t in ordered if t in by_table and "user_id" in t.c and t.name != "sessions"]
