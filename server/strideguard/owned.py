"""Which tables hold a runner's rows (derived from the models, so a new table is never missed)."""

from __future__ import annotations

from strideguard.extensions import db


def owned_models() -> list[type]:
    """Every mapped model with a ``user_id`` column, children before parents."""
    by_table = {m.class_.__table__: m.class_ for m in db.Model.registry.mappers}
    ordered = reversed(db.metadata.sorted_tables)
    return [by_table[t] for t in ordered if t in by_table and "user_id" in t.c and t.name != "sessions"]
