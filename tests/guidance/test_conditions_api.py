"""``GET /conditions`` says, for each condition, whether the asked location is typical for it:
``match``, as the plugin guide promises, in the answer and in the OpenAPI document."""

from __future__ import annotations

from tests.conftest import Runner


def test_conditions_carry_match_and_plugin(runner: Runner) -> None:
    ranked = runner.get("/api/v1/conditions?location=outside").get_json()
    assert ranked[0] == {**ranked[0], "id": "it_band", "plugin": "it_band", "match": True}
    assert all(c["match"] is False for c in ranked[1:])
    assert all("matches_location" not in c for c in ranked)
    assert all(c["match"] is False for c in runner.get("/api/v1/conditions").get_json())


def test_the_openapi_document_names_match(client) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    condition = schemas["Condition"]["properties"]
    assert condition["match"]["type"] == "boolean"
    assert "matches_location" not in condition
