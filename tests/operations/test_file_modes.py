"""Private files: the instance folder and every folder under it that holds runners' data or
secrets are 0700, and the files in them 0600, under a common umask of 022 (where a plain
``open`` gives 0644). An instance created by an older release (0755 / 0644) is narrowed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade

from strideguard import create_app
from strideguard.extensions import db
from strideguard.operations import backup
from strideguard.push.service import ensure_vapid_key
from tests.conftest import app_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "activities" / "cerknicko-jezero.gpx"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def fresh_app(instance: Path):
    """An app with the built-in defaults: SQLite in the instance folder, a generated secret key."""
    config = app_config(instance, "unused", IMPORT_WORKERS=0)
    del config["DATABASE_URL"], config["SECRET_KEY"]
    return create_app(config)


def test_a_new_instance_keeps_its_files_private(tmp_path, umask_022) -> None:
    instance = tmp_path / "instance"
    app = fresh_app(instance)
    with app.app_context():
        upgrade()
        ensure_vapid_key(app)
    client = app.test_client()
    signup = client.post("/api/v1/auth/register", json={"email": "modes@example.org", "password": "knee-safe-42x"})
    assert signup.status_code == 201
    with FIXTURE.open("rb") as handle:
        upload = client.post("/api/v1/imports", data={"file": (handle, FIXTURE.name), "keep_file": "true"},
                             headers={"X-CSRF-Token": signup.get_json()["csrf_token"]},
                             content_type="multipart/form-data")
    assert upload.status_code == 202, upload.get_json()
    database = instance / "strideguard.sqlite3"
    spooled = list((instance / "imports").iterdir())
    assert len(spooled) == 1

    expected = {
        instance: 0o700, database: 0o600, instance / "strideguard.sqlite3-wal": 0o600,
        instance / "strideguard.sqlite3-shm": 0o600, instance / "secret_key": 0o600,
        instance / "vapid_private.pem": 0o600, instance / "imports": 0o700, spooled[0]: 0o600,
    }
    settings = {"INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"]}
    archive, _ = backup.create(settings)
    expected.update({archive.parent: 0o700, archive: 0o600})
    found = {str(p.relative_to(tmp_path)): oct(mode(p)) for p in expected}  # -wal lives while connected
    with app.app_context():
        db.engine.dispose()
    assert found == {str(p.relative_to(tmp_path)): oct(m) for p, m in expected.items()}


def test_an_older_instance_is_narrowed(tmp_path, umask_022) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "strideguard.sqlite3"
    database.touch(mode=0o644)
    wal = instance / "strideguard.sqlite3-wal"
    wal.touch(mode=0o644)
    os.chmod(instance, 0o755)
    os.chmod(database, 0o644)
    os.chmod(wal, 0o644)
    app = fresh_app(instance)
    with app.app_context():
        db.engine.dispose()
    assert (mode(instance), mode(database), mode(wal)) == (0o700, 0o600, 0o600)
