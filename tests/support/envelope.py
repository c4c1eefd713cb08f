"""Assertions on the one JSON error envelope (DESIGN §3), shared by the API tests."""

from __future__ import annotations


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The response is the one JSON error envelope with this status (and code/field)."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]
