"""Serve the PWA in ``client/`` at ``/`` with the headers an installable app needs.

- ``/`` and unknown extension-less paths (``/checkin``) get ``index.html``, the app shell;
  the client routes by the URL hash.
- ``/sw.js`` comes from the root scope with ``Service-Worker-Allowed: /`` and is always
  revalidated, so a new service worker is picked up on the next visit.
- Shell files (HTML, CSS, JS, manifest) are ``no-cache``: the browser keeps them but asks
  the server (ETag / Last-Modified, so usually a 304) before using them. Icons may be
  cached for a week. The service worker keeps its own versioned copy for offline use.
- ``/api/...`` is never answered here: an unknown API path stays a JSON 404.

Only the web asset types of ``CONTENT_TYPES`` are served, and files are only ever read
through :func:`flask.send_from_directory`, which refuses any path
that would escape ``CLIENT_DIR``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from flask import Blueprint, Response, abort, current_app, send_from_directory
from werkzeug.routing import PathConverter

bp = Blueprint("web", __name__)

#: Content types set explicitly (the platform's mimetypes table varies); Flask adds
#: "; charset=utf-8" to the text types.
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}

#: Cache lifetimes by extension; everything else is revalidated on every use.
LONG_LIVED: dict[str, str] = {
    ".png": "public, max-age=604800",
    ".svg": "public, max-age=604800",
    ".ico": "public, max-age=604800",
}

#: The shell runs no inline script or style and talks only to its own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _client_dir() -> Path:
    return Path(current_app.config["CLIENT_DIR"]).resolve()


def _send(filename: str) -> Response:
    """Send one file from the client folder with its content type and cache policy."""
    suffix = PurePosixPath(filename).suffix.lower()
    response = send_from_directory(
        _client_dir(),
        filename,
        mimetype=CONTENT_TYPES.get(suffix),
        max_age=None,
        conditional=True,
        etag=True,
    )
    response.headers["Cache-Control"] = LONG_LIVED.get(suffix, "no-cache")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # Set on every client file: the HTML shell needs it, and so does sw.js (a worker runs
    # under its script's own policy; the API's default-src 'none' would block its fetches).
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if suffix == ".html":
        response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/")
def shell() -> Response:
    """The app shell."""
    return _send("index.html")


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the root so its scope is the whole app."""
    response = _send("sw.js")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest."""
    return _send("manifest.webmanifest")


class ClientPathConverter(PathConverter):
    """A path that is not under ``api/``: API URLs never reach the client's catch-all, so an
    unknown API path is Flask's own JSON 404 and a wrong method on one is a 405."""

    regex = r"(?!api(?:/|$))[^/].*?"


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["clientpath"] = ClientPathConverter


@bp.get("/<clientpath:filename>")
def static_file(filename: str) -> Response:
    """A file of the client (web asset types only), or the shell for an extension-less path."""
    parts = PurePosixPath(filename).parts
    if any(part.startswith(".") for part in parts):
        abort(404)  # no dotfiles (.git, .env) even if someone puts them in client/
    suffix = PurePosixPath(filename).suffix.lower()
    if not suffix:
        return _send("index.html")
    if suffix not in CONTENT_TYPES:
        abort(404)  # only web assets: never the icon script or other files in client/
    return _send(filename)
