"""Migrations: `upgrade` from empty gives exactly the models' schema; `downgrade` to base works.

Runs on SQLite and on PostgreSQL, each in a database of its own.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from strideguard import create_app
from strideguard.extensions import db
from tests.conftest import app_config
from tests.support.postgres import throwaway_database


@pytest.fixture(params=["sqlite", "postgres"])
def empty_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        yield create_app(app_config(tmp_path, url))
        return
    with throwaway_database("sg_mig") as url:
        app = create_app(app_config(tmp_path, url))
        yield app
        with app.app_context():
            db.engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_downgrade_to_base_removes_every_table(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()  # and back up again
        assert "users" in inspect(db.engine).get_table_names()
