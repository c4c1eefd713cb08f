"""Private files: the instance folder, the SQLite database, keys, spooled uploads and
backups are readable by the server's own user only (folders 0700, files 0600).

Each file is created with its final mode (never created readable and narrowed later);
folders and SQLite files that an older release created 0755/0644 are narrowed when the
server's user owns them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url


def _narrow(path: Path, mode: int) -> None:
    """Drop group and other bits of ``path`` if this user owns it (else leave it alone)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077 & mode)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder of mode 0700 (created with its parents if missing)."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _narrow(folder, 0o700)
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (a temporary name, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def private_sqlite_file(uri: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (SQLite gives its -wal and
    -shm files the database file's mode), and narrow existing ones."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return
    path = Path(url.database)
    if not path.parent.is_dir():
        return  # SQLite will say the folder is missing
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        _narrow(name, 0o600)
