"""gunicorn's server hooks for ``strideguard serve`` and ``run`` (``--config python:…``).

The app is built once, in the master (``--preload``), and every worker is forked from it: a
start builds one app instead of one per worker (~1.2 s of CPU each), so the server answers
sooner after a start or a crash, and the workers share the app's memory until they write it.

Building the app opens no database connection, but a forked worker must never use one of the
master's (two processes on one socket corrupt both): ``post_fork`` drops whatever the pools
hold without closing the parent's sockets, as SQLAlchemy advises for ``fork``. The SQLite
writer gate and prometheus-client's multiprocess files notice the new pid by themselves.
"""

from __future__ import annotations

from typing import Any


def post_fork(server: Any, worker: Any) -> None:
    from strideguard.extensions import db

    app = server.app.wsgi()  # the preloaded app
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # not ours (the bench's ceiling app runs under the same command line)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
