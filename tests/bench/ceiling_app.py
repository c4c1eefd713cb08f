"""The ceiling: a minimal Flask JSON endpoint, served by the same gunicorn settings as the app."""

from __future__ import annotations

from flask import Flask, jsonify, request


def create_app() -> Flask:
    """``GET``/``PUT /ceiling``: read the JSON body (if any) and answer a small JSON document."""
    app = Flask(__name__)

    @app.route("/ceiling", methods=["GET", "PUT"])
    def ceiling():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True) or {}
        return jsonify({"ok": True, "keys": len(body)})

    return app
