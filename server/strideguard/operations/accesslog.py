"""gunicorn's access log with every client-chosen value escaped.

gunicorn logs the decoded path (``%(U)s`` is ``PATH_INFO``), so ``/%0d%0a...`` wrote a forged
line into the log and ``/%1b[...`` a terminal escape into whoever tails it. This logger class
(``strideguard serve`` passes ``--logger-class``) percent-encodes the path again and escapes
the address and method: everything outside printable ASCII, spaces, quotes, backslashes and
``%`` itself become ``%XX``, so a line is one request and reads back unambiguously.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gunicorn.glogging import Logger

#: Printable characters a path may show as they are (RFC 3986 pchar and "/").
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def escape(value: Any, safe: str = PATH_SAFE) -> str:
    """``value`` (a WSGI string: one character per byte) percent-encoded for a log line."""
    if value is None:
        return "-"
    text = str(value)
    return quote(text.encode("latin-1", "backslashreplace"), safe=safe)


class AccessLogger(Logger):
    """gunicorn's logger; the access log's path, address and method escaped."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = escape(environ.get("PATH_INFO"))
        atoms["h"] = escape(environ.get("REMOTE_ADDR", "-"), safe=":.-")
        atoms["m"] = escape(environ.get("REQUEST_METHOD"), safe="-")
        return atoms
