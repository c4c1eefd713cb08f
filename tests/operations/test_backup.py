"""``strideguard backup`` / ``restore``: the archive, and every refusal as a plain sentence.

The restore drill under load with real servers is in test_backup_drill.py; here the archive's
contents and the refusals (damaged, truncated, tampered, another kind of database, a newer
schema, a target that holds data, a differing key) on real SQLite and PostgreSQL databases.
"""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from strideguard import create_app
from strideguard.config import ensure_secret_key
from strideguard.extensions import db
from strideguard.operations import backup
from strideguard.push import vapid
from tests.conftest import app_config
from tests.security.live import server_env
from tests.support.postgres import throwaway_database

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


def settings_for(instance: Path, url: str) -> dict:
    return {"INSTANCE_PATH": str(instance), "DATABASE_URL": url, "SECRET_KEY": None, "VAPID_PRIVATE_KEY": None}


def seeded(instance: Path, url: str) -> dict:
    """A migrated database with one user row, and the instance's two key files."""
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(app_config(instance, url))
    with app.app_context():
        upgrade()
        from strideguard.accounts.service import create_account

        create_account("kept@example.org", "knee-safe-42x", timezone="UTC", role="runner")
        db.session.commit()
        db.engine.dispose()
    ensure_secret_key(instance)
    vapid.generate_key_file(instance)
    return settings_for(instance, url)


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a' / 'db.sqlite3'}", f"sqlite:///{tmp_path / 'b' / 'db.sqlite3'}"
        return
    with throwaway_database("sg_bk_a") as first, throwaway_database("sg_bk_b") as second:
        yield first, second


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def repack(archive: Path, target: Path, contents: dict[str, bytes]) -> Path:
    with tarfile.open(target, "w:gz") as tar:
        for name, body in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return target


def user_emails(url: str) -> list[str]:
    from sqlalchemy import create_engine

    from strideguard.config import database_uri

    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT email FROM users ORDER BY id")).scalars())
    finally:
        engine.dispose()


def test_archive_holds_database_keys_and_manifest_then_restores(databases, tmp_path) -> None:
    source, target = databases
    settings = seeded(tmp_path / "a", source)
    archive, manifest = backup.create(settings)
    assert archive.parent == tmp_path / "a" / "backups"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    inside = members(archive)
    kind = "sqlite" if source.startswith("sqlite") else "postgresql"
    db_member = "database.sqlite3" if kind == "sqlite" else "database.pgdump"
    assert set(inside) == {"manifest.json", db_member, "secret_key", "vapid_private.pem"}
    stored = json.loads(inside["manifest.json"])
    assert stored == manifest
    assert stored["database"] == kind and stored["format"] == "strideguard-backup"
    assert stored["schema_revision"] == backup.head_revision()
    assert inside["secret_key"] == (tmp_path / "a" / "secret_key").read_bytes()

    fresh = settings_for(tmp_path / "b", target)
    backup.restore(archive, fresh)
    assert user_emails(target) == ["kept@example.org"]
    for name in ("secret_key", "vapid_private.pem"):
        restored = tmp_path / "b" / name
        assert restored.read_bytes() == (tmp_path / "a" / name).read_bytes()
        assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    if kind == "sqlite":
        assert stat.S_IMODE((tmp_path / "b" / "db.sqlite3").stat().st_mode) == 0o600

    # A second restore onto the restored database: refused, unless --force.
    with pytest.raises(backup.BackupError, match="already holds tables: restore into an empty database"):
        backup.restore(archive, fresh)
    backup.restore(archive, fresh, force=True)
    assert user_emails(target) == ["kept@example.org"]


def test_refusals_are_sentences_and_change_nothing(tmp_path) -> None:
    settings = seeded(tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'db.sqlite3'}")
    archive, _manifest = backup.create(settings, tmp_path / "good.tar.gz")
    fresh = settings_for(tmp_path / "b", f"sqlite:///{tmp_path / 'b' / 'db.sqlite3'}")
    raw = archive.read_bytes()
    inside = members(archive)

    def refused(candidate: Path, match: str, target: dict = fresh) -> None:
        with pytest.raises(backup.BackupError, match=match) as caught:
            backup.restore(candidate, target)
        assert str(caught.value).endswith(".") and "Traceback" not in str(caught.value)
        assert not (tmp_path / "b" / "db.sqlite3").exists() or user_emails(target["DATABASE_URL"]) == []
        assert not (tmp_path / "b" / "secret_key").exists()

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    refused(truncated, "not a StrideGuard backup or it is damaged")
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0xFF
    (tmp_path / "flipped.tar.gz").write_bytes(bytes(flipped))
    refused(tmp_path / "flipped.tar.gz", "damaged")
    (tmp_path / "notes.tar.gz").write_text("just some text")
    refused(tmp_path / "notes.tar.gz", "not a StrideGuard backup")

    tampered = dict(inside, **{"database.sqlite3": inside["database.sqlite3"][:-4096] + b"\0" * 4096})
    refused(repack(archive, tmp_path / "tampered.tar.gz", tampered), "database.sqlite3 does not match its checksum")
    escaping = dict(inside, **{"../secret_key": b"x"})
    refused(repack(archive, tmp_path / "escaping.tar.gz", escaping), "unexpected entry")

    newer = json.loads(inside["manifest.json"])
    newer["schema_revision"] = "0999"
    refused(repack(archive, tmp_path / "newer.tar.gz", dict(inside, **{"manifest.json": json.dumps(newer).encode()})),
            r"comes from a newer StrideGuard \(schema 0999\): install that version or newer")

    with throwaway_database("sg_bk_kind") as url:
        refused(archive, "holds a SQLite database but this installation uses PostgreSQL",
                settings_for(tmp_path / "b", url))

    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "b" / "vapid_private.pem").write_text("another key")
    with pytest.raises(backup.BackupError, match="vapid_private.pem exists and differs from the backup's"):
        backup.restore(archive, fresh)
    assert (tmp_path / "b" / "vapid_private.pem").read_text() == "another key"


@pytest.mark.process
def test_cli_refuses_with_the_sentence_and_exit_status_1(tmp_path) -> None:
    import subprocess
    import sys

    from tests.security.live import REPO

    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b" + b"\0" * 100)
    env = server_env(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'db.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "strideguard.cli", "restore", str(tmp_path / "junk.tar.gz")],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: This file is not a StrideGuard backup or it is damaged (ReadError): "
                                   "use another copy of the backup.")
    # The refused restore created no secret key in the fresh instance.
    assert not (tmp_path / "fresh" / "secret_key").exists()


def test_the_sqlite_copy_is_one_consistent_file(tmp_path) -> None:
    """The archive's database opens on its own (no -wal needed) and passes integrity_check."""
    settings = seeded(tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'db.sqlite3'}")
    archive, _ = backup.create(settings, tmp_path / "one.tar.gz")
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(members(archive)["database.sqlite3"])
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT email FROM users").fetchall() == [("kept@example.org",)]
