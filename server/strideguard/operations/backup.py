"""``strideguard backup`` / ``strideguard restore``: one archive with the database, the
instance's secret key and VAPID key, and a manifest.

The archive is a gzipped tar holding ``manifest.json`` (format, created at, database kind,
schema revision, SHA-256 and size of every other member), the database (``database.sqlite3``
from SQLite's online backup API, or ``database.pgdump`` from ``pg_dump --format=custom``)
and the key files found in the instance folder. Copying the live SQLite file is not a
backup: a copy taken while the server writes misses what is still in the write-ahead log
(it lost 14 of 88 acknowledged writes when tried); the online backup API copies one
consistent snapshot instead, and ``pg_dump`` does the same for PostgreSQL.

Every refusal is a :class:`BackupError` whose text is one plain sentence for the operator.
Nothing here needs the Flask app: the settings come from ``STRIDEGUARD_*`` like the app's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump / pg_restore with a fixed argv, no shell
import tarfile
import tempfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from strideguard.config import database_uri, defaults, from_environ, instance_path_from
from strideguard.operations.filemodes import private_dir, write_private

FORMAT = "strideguard-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
KEY_FILES = ("secret_key", "vapid_private.pem")
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore was refused or failed; ``str()`` says what to do."""


# -- settings -------------------------------------------------------------------------------

def current_settings() -> dict[str, Any]:
    """The instance folder and database the app would use (``STRIDEGUARD_*``), without
    creating anything: a restore into a fresh instance must not find a new secret key there."""
    instance = instance_path_from()
    settings = defaults(instance)
    try:
        settings.update(from_environ())
    except ValueError as exc:
        raise BackupError(str(exc)) from None
    settings["INSTANCE_PATH"] = str(instance)
    return settings


def database_kind(url: str) -> str:
    backend = make_url(database_uri(url)).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def _sqlite_path(url: str) -> Path:
    name = make_url(database_uri(url)).database
    if not name or name == ":memory:":
        raise BackupError("The database is in memory: there is nothing to back up.")
    return Path(name).resolve()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it (PGPASSWORD), so
    the password never shows in the process list."""
    parsed = make_url(database_uri(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # nosec B603
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed: install the PostgreSQL client tools "
                          f"(the same major version as the server or newer).") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else f'exit status {done.returncode}'}")


def _revision(url: str) -> str | None:
    """The database's Alembic revision (None: not migrated)."""
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise BackupError(f"The database does not answer ({type(exc).__name__}): start it and try again.") from None
    finally:
        engine.dispose()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- backup ---------------------------------------------------------------------------------

def _sqlite_snapshot(source: Path, target: Path) -> str | None:
    """Copy ``source`` with SQLite's online backup API (one consistent snapshot while the
    server keeps writing); returns the copy's schema revision."""
    if not source.exists():
        raise BackupError(f"There is no database at {source}: check STRIDEGUARD_DATABASE_URL.")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # SQLite keeps the mode
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, under one read lock
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The copy of the database fails SQLite's integrity check: "
                              "run `sqlite3 <database> 'PRAGMA integrity_check'` and repair it first.")
        has_version = dst.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        return dst.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has_version else None
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy the database: {exc}.") from None
    finally:
        dst.close()
        src.close()


def _postgres_dump(url: str, target: Path) -> str | None:
    """``pg_dump --format=custom`` (one snapshot); the revision read before and after must agree."""
    before = _revision(url)
    dbname, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
          "--dbname", dbname], env, "pg_dump")
    if _revision(url) != before:
        raise BackupError("The schema changed during the backup (a migration ran): run the backup again.")
    return before


def default_folder(settings: dict[str, Any]) -> Path:
    return Path(settings["INSTANCE_PATH"]) / "backups"


def create(settings: dict[str, Any], output: Path | None = None, now: datetime | None = None) -> tuple[Path, dict]:
    """Write a backup archive (0600) into ``output`` (a folder, or the archive's file name;
    default ``<instance>/backups``); returns its path and manifest."""
    now = now or datetime.now(timezone.utc)
    kind = database_kind(settings["DATABASE_URL"])
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if output is None or output.is_dir() or str(output).endswith(os.sep):
        folder = private_dir(output or default_folder(settings))
        archive = folder / f"strideguard-{kind}-{stamp}.tar.gz"
    else:
        archive = output.resolve()
        if not archive.parent.is_dir():
            raise BackupError(f"The folder {archive.parent} does not exist: create it first.")
    if archive.exists():
        raise BackupError(f"{archive} exists already: choose another name.")
    instance = Path(settings["INSTANCE_PATH"])
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".backup-") as work_dir:
        work = Path(work_dir)
        if kind == "sqlite":
            member = SQLITE_MEMBER
            revision = _sqlite_snapshot(_sqlite_path(settings["DATABASE_URL"]), work / member)
        else:
            member = POSTGRES_MEMBER
            revision = _postgres_dump(settings["DATABASE_URL"], work / member)
        members = {member: work / member}
        for name in KEY_FILES:
            if (instance / name).is_file():
                members[name] = instance / name
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": now.isoformat(),
            "database": kind, "schema_revision": revision,
            "keys_from_environment": [k for k in ("SECRET_KEY", "VAPID_PRIVATE_KEY") if settings.get(k)],
            "files": {name: {"sha256": _sha256(path), "size": path.stat().st_size} for name, path in members.items()},
        }
        partial = work / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(now.timestamp())
            tar.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                info = tar.gettarinfo(str(path), arcname=name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.link(partial, archive)  # never a half-written archive under the final name
    return archive, manifest


# -- restore --------------------------------------------------------------------------------

DAMAGED = "This file is not a StrideGuard backup or it is damaged ({}): use another copy of the backup."


def unpack(archive: Path, work: Path) -> dict:
    """Extract the archive's known members into ``work`` and check them against the
    manifest; returns the manifest. Refuses anything else, and any mismatch."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            found: dict[str, Path] = {}
            for info in tar:
                allowed = info.name == MANIFEST or info.name in KEY_FILES or info.name in (SQLITE_MEMBER, POSTGRES_MEMBER)
                if not info.isfile() or not allowed or info.name in found:
                    raise BackupError(DAMAGED.format(f"unexpected entry {info.name!r}"))
                target = work / info.name
                source = tar.extractfile(info)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                found[info.name] = target
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(DAMAGED.format(type(exc).__name__)) from None
    if MANIFEST not in found:
        raise BackupError(DAMAGED.format("no manifest"))
    try:
        manifest = json.loads(found[MANIFEST].read_text())
        listed = manifest["files"]
        kind = manifest["database"]
        fmt, version = manifest["format"], manifest["format_version"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(DAMAGED.format("unreadable manifest")) from None
    if fmt != FORMAT:
        raise BackupError(DAMAGED.format("not made by strideguard backup"))
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError("This backup was made by a newer StrideGuard: install that version (or newer) to restore it.")
    expected_db = SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
    if set(found) - {MANIFEST} != set(listed) or expected_db not in listed:
        raise BackupError(DAMAGED.format("files missing or extra"))
    for name, facts in listed.items():
        if found[name].stat().st_size != facts.get("size") or _sha256(found[name]) != facts.get("sha256"):
            raise BackupError(DAMAGED.format(f"{name} does not match its checksum"))
    return manifest


def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str | None:
    """The newest schema revision this code knows."""
    return _scripts().get_current_head()


def known_revision(revision: str | None) -> bool:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    if revision is None:
        return True
    try:
        return _scripts().get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def _sqlite_has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0


def _postgres_has_data(url: str) -> bool:
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        raise BackupError(f"The target database does not answer ({type(exc).__name__}): "
                          f"create it (an empty database) and start PostgreSQL, then try again.") from None
    finally:
        engine.dispose()


def restore(archive: Path, settings: dict[str, Any], force: bool = False) -> dict:
    """Check everything first, then put the keys and the database in place. The server must
    be stopped. Returns the manifest; the caller migrates the database to this code's head."""
    kind = database_kind(settings["DATABASE_URL"])
    instance = private_dir(Path(settings["INSTANCE_PATH"]))
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=instance) as work_dir:
        work = Path(work_dir)
        manifest = unpack(archive, work)
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        if manifest["database"] != kind:
            raise BackupError(
                f"This backup holds a {names.get(manifest['database'], manifest['database'])} database but this "
                f"installation uses {names[kind]} (STRIDEGUARD_DATABASE_URL): restore it into an installation "
                f"with the same kind of database.")
        if not known_revision(manifest.get("schema_revision")):
            raise BackupError(
                f"This backup comes from a newer StrideGuard (schema {manifest['schema_revision']}): "
                f"install that version or newer, then restore again.")
        if kind == "sqlite":
            target = _sqlite_path(settings["DATABASE_URL"])
            occupied = _sqlite_has_data(target)
        else:
            occupied = _postgres_has_data(settings["DATABASE_URL"])
        if occupied and not force:
            raise BackupError("The target database already holds tables: restore into an empty database, "
                              "or add --force to replace its contents (stop the server first).")
        for name in KEY_FILES:
            present = instance / name
            if name in manifest["files"] and present.exists() and not force \
                    and present.read_bytes() != (work / name).read_bytes():
                raise BackupError(f"{present} exists and differs from the backup's: move it away, "
                                  f"or add --force to replace it.")
        for name in KEY_FILES:
            if name in manifest["files"]:
                write_private(instance / name, (work / name).read_bytes())
        if kind == "sqlite":
            _restore_sqlite(work / SQLITE_MEMBER, target)
        else:
            _restore_postgres(work / POSTGRES_MEMBER, settings["DATABASE_URL"], clean=occupied)
    return manifest


def _restore_sqlite(copy: Path, target: Path) -> None:
    with sqlite3.connect(copy) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(DAMAGED.format("the database fails SQLite's integrity check"))
    conn.close()
    private_dir(target.parent)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(copy, "rb") as src:
        shutil.copyfileobj(src, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)  # a replaced database's log must not be replayed into the copy
    os.replace(staged, target)


def _restore_postgres(dump: Path, url: str, clean: bool) -> None:
    dbname, env = _libpq(url)
    argv = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            "--dbname", dbname]
    if clean:
        argv += ["--clean", "--if-exists"]
    _run(argv + [str(dump)], env, "pg_restore")
