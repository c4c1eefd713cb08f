"""Hostile input against every route of the app's own OpenAPI document, on both databases.

The corpus is generated from ``/api/v1/openapi.json`` (nothing is listed by hand but the
valid values a field needs to pass its own pattern):

* every write route (POST/PUT/PATCH/DELETE) gets whole bodies that parse but are hostile:
  nesting 600 and 5,000 deep, an integer of 5,000 digits, ``1e400``, ``NaN``, ``Infinity``,
  ``-Infinity`` and a lone UTF-16 surrogate;
* every field of every JSON body, inside an otherwise valid body, gets what its type invites:
  a lone surrogate in each string (and in each key of a free-form object), ``NaN``,
  ``±Infinity``, ``±1e308``, ``1e400``, the smallest subnormal and a 5,000-digit integer in
  each number, 2**63 and 5,000 digits in each integer, and nested junk, ``NaN`` and huge
  numbers as the value of a free-form object (check-in ``answers``);
* every date and integer parameter in a path or a query string gets ``0001-01-01``,
  ``0001-01-05`` and ``9999-12-31``, or 10**30 and 2**63.

Each case is sent signed in (as the runner, or as the linked therapist for the clinic's
routes) and anonymously. Asserted: no answer >= 500; every answer's body parses with a
strict JSON parser (``NaN``/``Infinity`` refused); no refused write changed anything (the
runner's and the therapist's ``GET /api/v1/export`` after each case equal the one before);
every hostile case outside a field's documented range is refused; and afterwards every read
route still answers strict JSON. ``make fuzz`` runs the full corpus (``SG_HOSTILE_FULL=1``:
every field case anonymously too, both surrogate halves, raw UTF-8-encoded surrogates).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterator

import pytest

from tests.conftest import Runner, Therapist, invite

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

FULL = os.environ.get("SG_HOSTILE_FULL") == "1"
API = "/api/v1"
RUN_ID = "0b0e8a8e-1c1a-4c55-9a43-4ab2a9e30c77"
SESSION_ID = "5e551011-1c1a-4c55-9a43-4ab2a9e30c77"
WRITE_METHODS = {"post", "put", "patch", "delete"}
#: Routes anyone may call: sent from a fresh client (a signed-in one would switch accounts).
PUBLIC = {f"{API}/auth/register", f"{API}/auth/login"}
HUGE_INT = "9" * 5000


# --- strict JSON -----------------------------------------------------------------------------


class NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")


def strict_loads(text: str) -> Any:
    """RFC 8259 JSON only: Python's json accepts NaN, Infinity and -Infinity; this does not."""
    return json.loads(text, parse_constant=_refuse_constant)


# --- the corpus ------------------------------------------------------------------------------


@dataclass
class Case:
    """One hostile request: where it goes, what it carries, what it probes."""

    method: str
    path: str  # an OpenAPI path template
    what: str
    body: bytes | None = None
    path_values: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    must_refuse: bool = True  # outside the documented range: anything but a 4xx is wrong

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS


class Raw:
    """A JSON token written as is (NaN, 1e400, 5,000 digits, a surrogate escape)."""

    def __init__(self, text: str) -> None:
        self.text = text


def encode(body: Any, utf8_surrogates: bool = False) -> bytes:
    """``body`` as JSON bytes with each :class:`Raw` spliced in verbatim."""
    raws: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\x01RAW{len(raws) - 1}\x01"
        if isinstance(value, dict):
            return {(mark(k) if isinstance(k, Raw) else k): mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(body))
    for index, raw in enumerate(raws):
        text = text.replace(f'"\\u0001RAW{index}\\u0001"', raw)
    if utf8_surrogates:  # the surrogate as raw (invalid) UTF-8 bytes instead of an escape
        return text.replace("\\ud800", "\ud800").encode("utf-8", "surrogatepass")
    return text.encode()


def deep(levels: int, kind: str = "[") -> Raw:
    if kind == "[":
        return Raw("[" * levels + "]" * levels)
    return Raw('{"a":' * levels + "1" + "}" * levels)


BODY_CASES: list[tuple[str, Raw]] = [
    ("nesting 600 deep", deep(600)),
    ("object nesting 600 deep", deep(600, "{")),
    ("nesting 5000 deep", deep(5000)),
    ("5000-digit integer", Raw(HUGE_INT)),
    ("1e400", Raw("1e400")),
    ("NaN", Raw("NaN")),
    ("Infinity", Raw("Infinity")),
    ("-Infinity", Raw("-Infinity")),
    ("lone surrogate", Raw('"\\ud800"')),
]

SURROGATES = [Raw('"a\\ud800b"')] + ([Raw('"\\udfff"')] if FULL else [])
BAD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e308", "-1e308", "1e400", HUGE_INT]
BAD_INTEGERS = [str(2**63), HUGE_INT, "1e400"]
BAD_DATES = ["0001-01-01", "0001-01-05", "9999-12-31"]
BAD_IDS = [str(10**30), str(2**63)]
#: A free-form object's values (check-in answers): non-finite, huge, nested junk.
BAD_ANSWERS = ["NaN", "Infinity", "1e308", HUGE_INT, '"a\\ud800"', "[[[[1]]]]", '{"a": {"b": 1}}',
               '[' * 600 + ']' * 600]


class Spec:
    """The OpenAPI document, with ``$ref`` and ``anyOf`` (nullable) resolved."""

    def __init__(self, document: dict) -> None:
        self.doc = document

    def resolve(self, schema: dict) -> dict:
        while True:
            if "$ref" in schema:
                schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            elif "anyOf" in schema:
                schema = next((s for s in schema["anyOf"] if "$ref" in s), schema["anyOf"][-1])
            else:
                return schema

    def operations(self) -> Iterator[tuple[str, str, dict, list[dict]]]:
        for path, item in self.doc["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                yield method, path, op, shared + op.get("parameters", [])

    def json_body(self, op: dict) -> dict | None:
        content = (op.get("requestBody") or {}).get("content", {})
        if "application/json" not in content:
            return None
        return self.resolve(content["application/json"]["schema"])


def is_date_param(param: dict) -> bool:
    return param["schema"].get("format") == "date" or param["name"] in {"day", "date", "from", "to"}


class Bodies:
    """Valid bodies from the schemas, so that each hostile field is the only thing wrong."""

    def __init__(self, spec: Spec, by_name: dict[str, Any], by_path: dict[str, dict[str, Any]]) -> None:
        self.spec = spec
        self.by_name = by_name
        self.by_path = by_path

    def for_path(self, path: str) -> "Bodies":
        return Bodies(self.spec, {**self.by_name, **self.by_path.get(path, {})}, self.by_path)

    def example(self, schema: dict, name: str | None = None) -> Any:
        schema = self.spec.resolve(schema)
        if name in self.by_name:
            return self.by_name[name]
        enum = [v for v in schema.get("enum", []) if v is not None]
        if enum:
            return enum[0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {key: self.example(sub, key) for key, sub in self.writable(schema).items()}
        if kind == "array":
            return []
        if kind == "boolean":
            return False
        if kind == "integer":
            return schema.get("minimum", 1)
        if kind == "number":
            low = schema.get("minimum", 0.0)
            high = schema.get("maximum", low + 100.0)
            return (low + high) / 2 if high - low < 1000 else low + 1000
        if kind == "string":
            if schema.get("format") == "date":
                return date.today().isoformat()
            return "x" * max(1, schema.get("minLength", 1))
        return None

    @staticmethod
    def writable(schema: dict) -> dict[str, dict]:
        return {k: v for k, v in schema.get("properties", {}).items() if not v.get("readOnly")}

    def field_cases(self, schema: dict) -> Iterator[tuple[str, Any, bool]]:
        """(label, body, must_refuse) with one field of a valid body made hostile."""
        base = self.example(schema)
        for label, setter, sub in self._leaves(schema, base, ()):
            for value, must in self._hostile_values(sub):
                body = json.loads(json.dumps(base))
                setter(body, value)
                yield f"{label} = {_shown(value):.40}", body, must

    def _leaves(self, schema: dict, base: Any, trail: tuple[str, ...]):
        schema = self.spec.resolve(schema)
        for key, sub in self.writable(schema).items():
            resolved = self.spec.resolve(sub)
            here = trail + (key,)
            if resolved.get("properties") and isinstance(base.get(key), dict):
                yield from self._leaves(resolved, base[key], here)
            else:
                yield ".".join(here), _setter(here), resolved
        if schema.get("additionalProperties") not in (None, False) and not schema.get("properties"):
            yield ".".join(trail), _setter(trail), schema

    @staticmethod
    def _hostile_values(schema: dict) -> Iterator[tuple[Any, bool]]:
        kind = schema.get("type")
        if schema.get("additionalProperties") not in (None, False) and not schema.get("properties"):
            # A free-form object (check-in answers): hostile keys and values.
            for surrogate in SURROGATES:
                yield {surrogate: True}, True
            for raw in BAD_ANSWERS:
                yield {"core.back_from_break": Raw(raw)}, True
            return
        if kind == "array":
            item = schema.get("items", {})
            if item.get("type") == "string":
                for surrogate in SURROGATES:
                    yield [surrogate], True
            yield [Raw("NaN")], True
            return
        if kind == "string":
            for surrogate in SURROGATES:
                yield surrogate, True
            return
        if kind == "number":
            for raw in BAD_NUMBERS:
                yield Raw(raw), True
            # The smallest subnormal: within the documented range only where 0 is.
            yield Raw("5e-324"), not (schema.get("minimum", 1) <= 0 <= schema.get("maximum", 1))
            return
        if kind == "integer":
            for raw in BAD_INTEGERS:
                yield Raw(raw), True
            return
        if kind is None:  # free-form value (e.g. a push subscription's expirationTime)
            yield Raw("NaN"), True
            yield deep(600), True


def _shown(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_shown(k)}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return json.dumps(value)


def _setter(trail: tuple[str, ...]):
    def set_value(body: dict, value: Any) -> None:
        target = body
        for key in trail[:-1]:
            target = target[key]
        if trail:
            target[trail[-1]] = value
        else:
            body.clear()
            body.update(value)
    return set_value


def corpus(spec: Spec, bodies: Bodies, path_values: dict[str, str], *, anonymous: bool) -> list[Case]:
    cases: list[Case] = []
    for method, path, op, params in spec.operations():
        fill = {p["name"]: path_values[p["name"]] for p in params if p["in"] == "path"}
        public = path in PUBLIC
        every_field = not anonymous or public or FULL
        if method in WRITE_METHODS:
            for what, raw in BODY_CASES:
                cases.append(Case(method, path, f"body: {what}", encode(raw), dict(fill)))
            schema = spec.json_body(op)
            if schema is not None and every_field:
                for what, body, must in bodies.for_path(path).field_cases(schema):
                    cases.append(Case(method, path, what, encode(body), dict(fill), must_refuse=must))
                    if FULL and "\\ud800" in encode(body).decode():
                        cases.append(Case(method, path, what + " (raw UTF-8)", encode(body, True), dict(fill)))
        for param in params:
            bad = BAD_DATES if is_date_param(param) else BAD_IDS if param["schema"].get("type") == "integer" else []
            for value in bad:
                if param["in"] == "path":
                    cases.append(Case(method, path, f"{param['name']}={value}", None, {**fill, param["name"]: value},
                                      must_refuse=method in WRITE_METHODS))
                elif param["in"] == "query":
                    cases.append(Case(method, path, f"?{param['name']}={value}", None, dict(fill),
                                      {param["name"]: value}, must_refuse=False))
    # Whatever could end the session or the account goes last (a hostile body that got
    # through would sign the runner out, or delete the seeded rows the others use).
    def order(case: Case) -> tuple[int, str]:
        ending = case.path.endswith("/auth/logout") or (case.path == f"{API}/me" and case.method == "delete")
        return (2 if ending else 1 if case.method == "delete" else 0, case.path)
    return sorted(cases, key=order)


# --- running it ------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    invalid_json: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    partial_writes: list[str] = field(default_factory=list)
    reads: int = 0  # read-back requests, not counted in statuses

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def line(self, name: str) -> str:
        return (f"{name}: {self.sent} requests, {len(self.server_errors)} answers >= 500, "
                f"{len(self.invalid_json)} invalid JSON, {len(self.accepted)} hostile writes accepted, "
                f"{len(self.partial_writes)} refused writes that changed data, {self.reads} read-backs; "
                f"statuses {dict(sorted(self.statuses.items()))}")


def _strict_ok(response) -> bool:
    if response.status_code in (204, 304) and not response.data:
        return True
    try:
        strict_loads(response.get_data(as_text=True))
    except ValueError:
        return False
    return True


def _export(identity: Runner) -> dict:
    response = identity.get(f"{API}/export")
    assert response.status_code == 200, response.status_code
    # Lenient here (the read-back sweep holds the export to strict JSON): compared as text
    # tokens, so that a stored NaN compares equal to itself.
    data = json.loads(response.get_data(as_text=True), parse_constant=lambda name: f"<{name}>")
    data.pop("exported_at", None)
    return data


class World:
    """A runner with data, a linked therapist, and the path values that reach real rows."""

    def __init__(self, app) -> None:
        self.app = app
        self.runner = Runner(app, email="hostile-runner@example.org")
        self.therapist = Therapist(app, email="hostile-therapist@example.org", display_name="Dr Knee")
        assert self.therapist.accept(invite(self.runner)["code"]).status_code == 200
        today = date.today().isoformat()
        shoe = self.runner.post(f"{API}/shoes", json={"name": "Daily trainer"})
        assert shoe.status_code == 201
        self.shoe_id = shoe.get_json()["id"]
        self.invitation_id = invite(self.runner)["id"]
        own = self.therapist.post(f"{API}/clinic/exercises", json={
            "name": "Towel squeeze", "instructions": "Squeeze a towel between the knees.", "trains": ["quadriceps"],
            "dose": "reps", "sets": 2, "reps": 10, "sides": "both"})
        assert own.status_code == 201, own.get_json()
        self.exercise_id = own.get_json()["id"]
        self.spec = Spec(app.test_client().get(f"{API}/openapi.json").get_json())
        self.path_values = {
            "day": today, "run_id": RUN_ID, "shoe_id": str(self.shoe_id), "patient_id": str(self.runner.user["id"]),
            "import_id": "1", "file_id": "1", "invitation_id": str(self.invitation_id), "therapist_id": str(self.therapist.user["id"]),
            "exercise_id": self.exercise_id, "session_id": SESSION_ID,
        }
        self.bodies = Bodies(self.spec, {
            # Values a field's own pattern or the service needs; the rest comes from the schema.
            "email": self.runner.email, "password": self.runner.password, "current_password": "wrong-password-1",
            "new_password": "knee-safe-43y", "timezone": "UTC", "reminder_time": "07:30",
            "quiet_hours": {"start": "22:00", "end": "07:00"}, "phone": "+49 30 1234567",
            "booking_url": "https://example.org/book", "endpoint": "https://127.0.0.1:1/push/hostile",
            "p256dh": "B" + "A" * 86, "auth": "A" * 22, "shoe_id": self.shoe_id, "code": "AAAA-BBBB-CCCC",
            "distance_m": 5000.0, "duration_s": 1800.0, "pain_onset_m": 1000.0, "limit_m": 800000.0,
            "weekly_increase_pct": 10.0, "speed_increase_pct": 10.0, "pain_threshold": 3, "date": today,
            "answers": {"core.back_from_break": False}, "conditions": [], "display_name": "Kim",
            # The exercise programme: a valid list (arrays are not walked, their items are fixed).
            "items": [{"exercise": "core.glute_bridge", "per_week": 3}],
            "entries": [{"exercise": "core.glute_bridge", "sets": [{"reps": 10}], "pain": 1}],
            "trains": ["quadriceps"],
        }, {f"{API}/auth/register": {"email": "hostile-new@example.org", "password": "knee-safe-44z"},
            f"{API}/clinic/exercises": {"seconds": None},
            f"{API}/clinic/exercises/{{exercise_id}}": {"seconds": None, "dose": "reps"}})
        self._seed(today)

    def _seed(self, today: str) -> None:
        """The valid bodies pass: each hostile case below differs from a stored write by one field."""
        checkin = self.bodies.example(self.spec.json_body(self._op("put", "/checkins/{day}")))
        run = self.bodies.example(self.spec.json_body(self._op("put", "/runs/{run_id}")))
        limits = self.bodies.example(self.spec.json_body(self._op("put", "/clinic/patients/{patient_id}/limits")))
        profile = self.bodies.example(self.spec.json_body(self._op("patch", "/me")))
        programme = {"items": [{"exercise": "core.glute_bridge", "per_week": 3}]}
        for response in (
            self.therapist.put(f"{API}/clinic/patients/{self.runner.user['id']}/programme", json=programme),
            self.runner.put(f"{API}/exercise-sessions/{SESSION_ID}", json={
                "date": today, "entries": [{"exercise": "core.glute_bridge", "sets": [{"reps": 10}], "pain": 1}]}),
            self.runner.put(f"{API}/checkins/{today}", json=checkin),
            self.runner.put(f"{API}/runs/{RUN_ID}", json=run),
            self.runner.patch(f"{API}/me", json=profile),
            self.therapist.put(f"{API}/clinic/patients/{self.runner.user['id']}/limits", json=limits),
        ):
            assert response.status_code in (200, 201), response.get_json()

    def _op(self, method: str, suffix: str) -> dict:
        return self.spec.doc["paths"][API + suffix][method]

    def identity(self, path: str) -> Runner:
        return self.therapist if path.startswith(f"{API}/clinic/") else self.runner

    def signed_in(self, who: Runner) -> None:
        """Sign in again if a hostile request that got through ended the session."""
        if who.get(f"{API}/me").status_code == 401:
            response = who.client.post(f"{API}/auth/login", json={"email": who.email, "password": who.password})
            assert response.status_code == 200
            who.csrf = response.get_json()["csrf_token"]

    def exports(self, path: str | None = None) -> tuple[dict, dict | None]:
        """The runner's export, and the therapist's unless ``path`` is a runner's route (the
        runner is the patient: a clinic write shows in both)."""
        self.signed_in(self.runner)
        both = path is None or self.identity(path) is self.therapist
        if both:
            self.signed_in(self.therapist)
        return _export(self.runner), _export(self.therapist) if both else None


def _url(case: Case) -> str:
    path = case.path
    for name, value in case.path_values.items():
        path = path.replace("{" + name + "}", value)
    return path


def send(world: World, case: Case, tally: Tally, anonymous: bool):
    if anonymous or case.path in PUBLIC:
        client, headers = world.app.test_client(), {}
    else:
        who = world.identity(case.path)
        client, headers = who.client, {"X-CSRF-Token": who.csrf}
    kwargs: dict[str, Any] = {"method": case.method.upper(), "headers": headers, "query_string": case.query}
    if case.body is not None:
        kwargs.update(data=case.body, content_type="application/json")
    label = f"{'anonymous' if anonymous else 'signed in'} {case.method.upper()} {case.path} [{case.what}]"
    try:
        response = client.open(_url(case), **kwargs)
    except Exception as exc:  # noqa: BLE001 — what escapes Flask's handlers is a 500 for the client
        tally.statuses[500] += 1
        tally.server_errors.append(f"{label} -> raised {type(exc).__name__}")
        return None
    tally.statuses[response.status_code] += 1
    if response.status_code >= 500:
        tally.server_errors.append(f"{label} -> {response.status_code}")
    if not _strict_ok(response):
        tally.invalid_json.append(f"{label} -> {response.get_data(as_text=True)[:120]!r}")
    if case.write and case.must_refuse and response.status_code < 400:
        tally.accepted.append(f"{label} -> {response.status_code}")
    return response


def read_back(world: World, tally: Tally) -> None:
    """Every read route (GET) of the document, with the seeded rows' ids: no 5xx, strict JSON."""
    reads = Tally()
    world.signed_in(world.runner)
    world.signed_in(world.therapist)
    for method, path, op, params in world.spec.operations():
        if method == "get":
            case = Case("get", path, "read back", None, {p["name"]: world.path_values[p["name"]]
                                                         for p in params if p["in"] == "path"})
            send(world, case, reads, anonymous=False)
    tally.server_errors += reads.server_errors
    tally.invalid_json += reads.invalid_json
    tally.reads += reads.sent


def run_corpus(app) -> tuple[Tally, Tally]:
    # Answer as production does: an unexpected exception becomes the app's 500, not a raise
    # into the test (TESTING turns propagation on).
    app.config["PROPAGATE_EXCEPTIONS"] = False
    world = World(app)
    signed, anonymous = Tally(), Tally()
    current = None  # the exports before the next write (None: take them first)
    last_path = None
    for case in corpus(world.spec, world.bodies, world.path_values, anonymous=False):
        if case.path != last_path:
            world.signed_in(world.identity(case.path))
            current, last_path = None, case.path
        if case.write and current is None:
            current = world.exports(case.path)
        response = send(world, case, signed, anonymous=False)
        if not case.write or response is None:
            current = None  # a read may log an access (the clinic's): take the exports again
            continue
        if response.status_code < 300:
            read_back(world, signed)  # what got in is still served as strict JSON
        after = world.exports(case.path)
        if response.status_code >= 400 and after != current:
            signed.partial_writes.append(f"{case.method.upper()} {case.path} [{case.what}] -> {response.status_code}")
        current = after
    world.signed_in(world.runner)
    world.signed_in(world.therapist)
    start = world.exports()
    for case in corpus(world.spec, world.bodies, world.path_values, anonymous=True):
        send(world, case, anonymous, anonymous=True)
    if world.exports() != start:
        anonymous.partial_writes.append("an anonymous hostile request changed the runner's or therapist's data")
    read_back(world, signed)
    return signed, anonymous


def test_hostile_input_is_refused_with_a_4xx_and_strict_json_on_every_route(app) -> None:
    signed, anonymous = run_corpus(app)
    backend = app.config["BACKEND"]
    print(f"\n{signed.line(f'hostile[{backend}] signed in')}\n{anonymous.line(f'hostile[{backend}] anonymous')}")
    if os.environ.get("SG_HOSTILE_REPORT"):  # every finding, for the figures in the README
        with open(f"{os.environ['SG_HOSTILE_REPORT']}-{backend}.json", "w") as out:
            json.dump({"signed_in": signed.__dict__, "anonymous": anonymous.__dict__}, out, indent=1, default=dict)
    for tally in (signed, anonymous):
        problems = tally.server_errors + tally.invalid_json + tally.partial_writes + tally.accepted
        assert problems == [], "\n".join(problems[:40])
    # The corpus is what the docstring says: a few hundred requests, and it reached the
    # services (valid bodies with one hostile field: 422 with that field named).
    assert 300 <= signed.sent <= 2000 and anonymous.sent >= 200
    assert signed.statuses[422] > 100 and signed.statuses[400] > 50


def test_the_corpus_covers_every_write_route_and_every_field(app) -> None:
    world = World(app)
    cases = corpus(world.spec, world.bodies, world.path_values, anonymous=False)
    routes = {(m, p) for m, p, _, _ in world.spec.operations() if m in WRITE_METHODS}
    assert routes == {(c.method, c.path) for c in cases if c.write}
    labels = {(c.path, c.what.split(" = ")[0]) for c in cases}
    for field_name in ("answers", "note", "duration_s", "distance_m", "therapist.phone", "quiet_hours.start",
                       "keys.p256dh", "instruction", "conditions", "password", "email"):
        assert any(label == field_name for _, label in labels), field_name
    dates = {c.path for c in cases if any(v == "0001-01-05" for v in list(c.query.values()) + list(c.path_values.values()))}
    assert {f"{API}/checkins", f"{API}/runs", f"{API}/clinic/patients/{{patient_id}}/fhir",
            f"{API}/checkins/{{day}}"} <= dates


def test_rows_stored_before_the_bounds_are_still_answered_as_strict_json(app, caplog) -> None:
    """A run of 5e-324 s (saved before durations were bounded) and, on SQLite, a NaN in a
    check-in's answers (PostgreSQL's json type never held one): every read route and the next
    write answer strict JSON, the speed is null, no 5xx."""
    from sqlalchemy import text

    from strideguard.extensions import db
    from tests.conftest import linked

    runner, therapist = linked(app)
    today = date.today().isoformat()
    assert runner.put(f"{API}/checkins/{today}", json={"pain": 2}).status_code == 201
    assert runner.put(f"{API}/runs/{RUN_ID}", json={"date": today, "distance_m": 5000, "duration_s": 1500}).status_code == 201
    with app.app_context():
        db.session.execute(text("UPDATE runs SET duration_s = :tiny"), {"tiny": 5e-324})
        if app.config["BACKEND"] == "sqlite":
            db.session.execute(text("""UPDATE checkins SET answers = '{"core.back_from_break": NaN}'"""))
        db.session.commit()
    patient = runner.user["id"]

    def read_everything() -> None:
        for who, url in [(runner, "/load"), (runner, "/guidance"), (runner, "/plan"), (runner, "/checkins"),
                         (runner, "/runs"), (runner, f"/runs/{RUN_ID}"), (runner, "/export"), (runner, "/shoes"),
                         (therapist, "/clinic/patients"), (therapist, f"/clinic/patients/{patient}"),
                         (therapist, f"/clinic/patients/{patient}/fhir")]:
            response = who.get(API + url)
            assert response.status_code == 200, (url, response.status_code)
            strict_loads(response.get_data(as_text=True))

    read_everything()
    # The load maths keep the speed finite themselves: the writer's last resort (a non-finite
    # number sent as null, with a warning) is not what makes /load strict.
    caplog.clear()
    assert strict_loads(runner.get(f"{API}/load").get_data(as_text=True))["current"]["speed_mps"] is None
    assert not [r for r in caplog.records if r.name == "strideguard.strictjson"]
    # A write replays the plan from the stored rows (the week's speed change included).
    assert runner.put(f"{API}/runs/0b0e8a8e-1c1a-4c55-9a43-4ab2a9e30c78",
                      json={"date": today, "distance_m": 3000, "duration_s": 1000}).status_code == 201
    read_everything()
    assert strict_loads(runner.get(f"{API}/load").get_data(as_text=True))["current"]["speed_mps"] == pytest.approx(8.0)
    if app.config["BACKEND"] == "sqlite":
        checkin = strict_loads(runner.get(f"{API}/checkins/{today}").get_data(as_text=True))
        assert checkin["answers"] == {"core.back_from_break": None}


@pytest.mark.parametrize("distance_m,duration_s,status", [
    (5000, 400, 201),        # 12.5 m/s: the fastest a run may be
    (5000, 399, 422),        # faster
    (1, 1, 201), (0.5, 60, 422), (5000, 0.5, 422),  # at least a metre and a second
])
def test_a_run_is_at_least_a_metre_and_a_second_and_at_most_45_kmh(runner, distance_m, duration_s, status) -> None:
    response = runner.put(f"{API}/runs/{RUN_ID}", json={"date": date.today().isoformat(),
                                                        "distance_m": distance_m, "duration_s": duration_s})
    assert response.status_code == status, response.get_json()
    if status == 422:
        fields = response.get_json()["error"]["fields"]
        assert set(fields) <= {"distance_m", "duration_s"} and fields
