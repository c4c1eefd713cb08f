"""Exactly once under concurrency: worker processes tick through a simulated week.

Hundreds of runners in several time zones (two of them change to summer time during the
week) are subscribed to ONE local push service. Between ticks the test plays check-ins
(some raise alerts through the real guidance engine) and runs. At every simulated tick
several worker processes run ``strideguard reminders tick --now <time>`` together against
the same database. An independent model (the pure planner fed with what the test did, in
one process, with no database) says which reminders must exist. Then we check:

* every expected (runner, kind, local date) is in the outbox with the expected status,
  and nothing else is (0 missing, 0 extra);
* the push service received, per subscription and kind, exactly as many pushes as there
  are ``sent`` rows (0 duplicates) and rejected none;
* direct counts with no planner at all: one ``checkin_due`` per evening runner per local
  date without an earlier check-in; one push per alert-raising check-in.

Workers: long-lived processes forked from a pool that built the app once (like gunicorn's
``--preload``), as ``strideguard worker`` processes live: at every step each of them runs the
real CLI entry point (``strideguard.cli.main``) with ``reminders tick --now``, with its own
database connections, all of them at once. Nothing a worker keeps in memory between ticks
may change what it sends (the outbox is the only state). On one 20:00 UTC step (PostgreSQL:
the Sunday the US clocks change) the command runs as real ``python -m strideguard.cli``
subprocesses instead, which start from nothing.

PostgreSQL (``FOR UPDATE SKIP LOCKED``): 250 runners, 4 processes. SQLite (compare-and-set
claim): 80 runners, 2 processes, two days.
"""

from __future__ import annotations

import json
import random
import time as clock
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from strideguard import create_app
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.afterwrite import after_write
from strideguard.push.models import PushSubscription
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import PRIORITY, PlannedReminder, QuietHours, RunnerState, plan
from strideguard.reminders.planner import ALERT_KINDS as RUNNER_ALERT_KINDS
from strideguard.reminders.planner import PlanBrief, alerts_for
from strideguard.reminders.planner import brief as brief_of
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
from strideguard.plan.machine import DayInput, PlanState, replay
from strideguard.training.models import Checkin, Run
from tests.conftest import app_config
from tests.support.postgres import throwaway_database
from tests.support.pushservice import LocalPushService
from tests.support.workers import Workers, worker_env

pytestmark = pytest.mark.process  # worker processes

SETTINGS = RunnerSettings()  # the simulated runners keep the seed's limits

UTC = timezone.utc
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",  # summer time from Sunday 8 March 2026, 02:00
    "America/Los_Angeles",  # same day
    "Asia/Kolkata",  # +05:30: 20:00 falls between two hourly ticks
    "Australia/Sydney",
)
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
STALE = timedelta(hours=3)


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Profile:
    name: str
    reminder_time: time
    quiet: QuietHours | None


PROFILES = (
    (60, Profile("evening", time(20, 0), None)),
    (15, Profile("evening_quiet", time(20, 0), QuietHours(time(22, 0), time(7, 0)))),
    (10, Profile("early_deferred", time(6, 30), QuietHours(time(22, 0), time(7, 0)))),
    (10, Profile("noon", time(12, 15), None)),
    (5, Profile("late_in_quiet", time(21, 30), QuietHours(time(21, 0), time(6, 0)))),
)


@dataclass
class Spec:
    uid: int
    zone: str
    profile: Profile
    detail: str
    sub_id: str = ""


@dataclass(frozen=True)
class Event:
    at: datetime
    uid: int
    day: date
    what: str  # "checkin" | "alert" | "fever" | "run"


def local(spec: Spec, at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(spec.zone))


def make_population(count: int, rng: random.Random) -> list[Profile]:
    weights = [w for w, _ in PROFILES]
    profiles = [p for _, p in PROFILES]
    return rng.choices(profiles, weights, k=count)


def make_events(specs: list[Spec], steps: list[datetime], rng: random.Random) -> dict[datetime, list[Event]]:
    """About 40 % of runner-days get a check-in (a fifth of them with pain 5-7, a few with
    fever); a third of the runners log a run on their first three days."""
    events: dict[datetime, list[Event]] = defaultdict(list)
    for spec in specs:
        by_day: dict[date, list[datetime]] = defaultdict(list)
        for at in steps:
            by_day[local(spec, at).date()].append(at)
        runs = rng.random() < 0.33
        for n, (day, ats) in enumerate(sorted(by_day.items())):
            if rng.random() < 0.4:
                roll = rng.random()
                what = "fever" if roll < 0.03 else "alert" if roll < 0.2 else "checkin"
                at = rng.choice(ats)
                events[at].append(Event(at, spec.uid, day, what))
            if runs and n < 3:
                at = rng.choice(ats)
                events[at].append(Event(at, spec.uid, day, "run"))
    return events


# --------------------------------------------------------------------------- the model


@dataclass
class Model:
    """What a single, sequential, database-free worker would have planned."""

    specs: dict[int, Spec]
    rows: dict[tuple[int, str, date], PlannedReminder] = field(default_factory=dict)
    last_checkin: dict[int, date] = field(default_factory=dict)
    # What each runner recorded, for the care plan replayed from scratch (the pure oracle
    # of what the database's stored plan must say).
    recorded: dict[int, dict[date, DayInput]] = field(default_factory=lambda: defaultdict(dict))
    _briefs: dict[tuple[int, date, int], PlanBrief] = field(default_factory=dict)

    planned: dict[int, set[tuple[str, date]]] = field(default_factory=lambda: defaultdict(set))
    skipped: dict[int, set[tuple[str, date]]] = field(default_factory=lambda: defaultdict(set))
    last_tick: datetime | None = None  # rows due by then were sent

    def state(self, uid: int, now: datetime, alerts=()) -> RunnerState:
        spec = self.specs[uid]
        planned, skipped = self.planned[uid], self.skipped[uid]
        today = local(spec, now).date()
        brief = self.brief(uid, today)
        return RunnerState(
            user_id=uid, timezone=spec.zone, reminder_time=spec.profile.reminder_time,
            quiet_hours=spec.profile.quiet, notification_detail=spec.detail,
            last_checkin_date=self.last_checkin.get(uid), alerts=tuple(alerts),
            next_week_cap_m=brief.next_week_cap_m if brief else None, plan=brief,
            planned=frozenset(planned), skipped=frozenset(skipped),
        )

    def brief(self, uid: int, today: date) -> PlanBrief | None:
        inputs = {d: i for d, i in self.recorded[uid].items() if d <= today}
        if not inputs:
            return None
        key = (uid, today, len(inputs))
        if key not in self._briefs:
            days = replay(PlanState(), inputs.values(), today, SETTINGS)
            self._briefs[key] = brief_of(days[-1], SETTINGS)
        return self._briefs[key]

    def record(self, uid: int, day: date, checkin: CheckinSnap | None = None,
               run: RunSnap | None = None) -> None:
        before = self.recorded[uid].get(day) or DayInput(day)
        self.recorded[uid][day] = DayInput(
            day, checkin or before.checkin, before.runs + ((run,) if run else ()))

    def _keep(self, planned: list[PlannedReminder]) -> None:
        for p in planned:
            uid = int(p.user_id)
            if self.rows.setdefault((uid, p.kind, p.local_date), p) is p:
                self.planned[uid].add((p.kind, p.local_date))
                if p.merged_into:
                    self.skipped[uid].add((p.kind, p.local_date))

    def checkin(self, uid: int, day: date, alerts, now: datetime) -> None:
        self.last_checkin[uid] = max(day, self.last_checkin.get(uid, day))
        if alerts:
            self._keep(plan([self.state(uid, now, alerts)], now))

    def alert(self, uid: int, alerts, now: datetime) -> None:
        if alerts:
            self._keep(plan([self.state(uid, now, alerts)], now))

    def tick(self, now: datetime) -> None:
        self._keep(plan([self.state(uid, now) for uid in self.specs], now))
        self.last_tick = now

    def withdraw(self, uid: int, day: date, alerts) -> None:
        """A write of ``day`` (the runner's today) takes back its planned, unsent alerts whose
        kind today's guidance no longer raises, with the rows merged into them
        (``reminders.outbox.withdraw``)."""
        due = {a.kind for a in alerts}
        unsent = {key: p for key, p in self.rows.items() if key[0] == uid and key[2] == day
                  and (self.last_tick is None or p.due_at > self.last_tick)}
        gone = {p.key for (_, kind, _), p in unsent.items()
                if kind in RUNNER_ALERT_KINDS and not p.merged_into and kind not in due}
        for key, p in unsent.items():
            if p.key in gone or p.merged_into in gone:
                del self.rows[key]
                self.planned[uid].discard((key[1], day))
                self.skipped[uid].discard((key[1], day))

    def expected(self, last_tick: datetime) -> set[tuple[int, str, date, str]]:
        out = set()
        for (uid, kind, day), p in self.rows.items():
            status = "skipped" if p.merged_into else "sent" if p.due_at <= last_tick else "pending"
            out.add((uid, kind, day, status))
        return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fresh_postgres() -> Iterator[str]:
    """A database of its own (the session's shared one is truncated by other tests)."""
    with throwaway_database("sg_conc") as url:
        yield url


def _seed(specs: list[Spec], service: LocalPushService) -> None:
    """Users and one subscription each, inserted in bulk with SQLAlchemy core."""
    db.session.execute(insert(User), [
        {"id": s.uid, "email": f"r{s.uid}@example.org", "password_hash": "x", "timezone": s.zone,
         "reminder_time": s.profile.reminder_time, "notification_detail": s.detail,
         "quiet_start": s.profile.quiet.start if s.profile.quiet else None,
         "quiet_end": s.profile.quiet.end if s.profile.quiet else None}
        for s in specs
    ])
    subs = []
    for s in specs:
        sub = service.subscriber()
        s.sub_id = sub.id
        subs.append({"user_id": s.uid, "endpoint": sub.endpoint, "p256dh": sub.p256dh, "auth": sub.auth})
    db.session.execute(insert(PushSubscription), subs)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
    db.session.commit()


def _play(event: Event, model: Model, now: datetime) -> None:
    """What the API does for a check-in or a run, at simulated time ``now``: save it,
    replay the care plan, queue today's alerts (``after_write``), commit."""
    uid = event.uid
    user = db.session.get(User, uid)
    if event.what == "run":
        run_id = str(uuid.uuid4())
        db.session.add(Run(uuid=run_id, user_id=uid, date=event.day, distance_m=8000.0, duration_s=2700.0))
        model.record(uid, event.day, run=RunSnap(run_id, event.day, 8000.0, 2700.0))
    else:
        pain = {"checkin": 1, "alert": 6, "fever": 4}[event.what]
        fever = event.what == "fever"
        db.session.add(Checkin(user_id=uid, date=event.day, pain=pain, fever=fever, answers={}))
        model.record(uid, event.day, checkin=CheckinSnap(event.day, pain, fever=fever))
    db.session.flush()
    guidance = after_write(user, event.day, now=now).changed
    db.session.commit()
    today = guidance.as_of == local(model.specs[uid], now).date()
    alerts = alerts_for(guidance) if today else ()
    if event.what in ("alert", "fever"):
        assert alerts, guidance
    if today:
        model.withdraw(uid, event.day, alerts)
    if event.what == "run":
        model.alert(uid, alerts, now)
    else:
        model.checkin(uid, event.day, alerts, now)


@dataclass(frozen=True)
class StepTiming:
    wall_s: float  # the whole step: process start, planning, delivery
    pushes: int
    span_s: float  # first to last push received


CASES = {
    # A week and a half day (every Sunday rule, the US clock change) in 2-hour ticks: 91
    # ticks x 4 processes. Hourly ticks double the CPU (~160 s of worker CPU measured) and
    # find nothing more: a scheduled reminder stays sendable for 3 h after its time.
    "postgres": {"runners": 250, "processes": 4, "hours": 7 * 24 + 12, "step_h": 2,
                 "exec_cli_at": {datetime(2026, 3, 8, 20, tzinfo=UTC)}},
    # Two days in hourly ticks.
    "sqlite": {"runners": 80, "processes": 2, "hours": 2 * 24 + 6, "step_h": 1,
               "exec_cli_at": {datetime(2026, 3, 2, 20, tzinfo=UTC)}},
}


@pytest.mark.parametrize("backend", list(CASES))
def test_workers_send_every_reminder_exactly_once(backend, tmp_path, request):
    case = CASES[backend]
    rng = random.Random(4)
    url = request.getfixturevalue("fresh_postgres") if backend == "postgres" else f"sqlite:///{tmp_path / 'conc.sqlite3'}"
    with LocalPushService() as service:
        app = create_app(app_config(tmp_path, url, PUSH_ALLOWED_HOSTS=[service.host_port]))
        step = timedelta(hours=case["step_h"])
        steps = [START + i * step for i in range(case["hours"] // case["step_h"] + 1)]
        profiles = make_population(case["runners"], rng)
        specs = [Spec(i + 1, ZONES[i % len(ZONES)], p, "detailed" if i % 7 == 0 else "discreet")
                 for i, p in enumerate(profiles)]
        by_uid = {s.uid: s for s in specs}
        events = make_events(specs, steps, rng)
        model = Model(by_uid)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ensure_vapid_key(app)  # before the workers start: they must share one key
            _seed(specs, service)

        workers = Workers(worker_env(url, tmp_path, service), case["processes"])
        sent_by_workers = 0
        timings: list[StepTiming] = []
        try:
            for at in steps:
                with app.app_context():
                    for event in sorted(events.get(at, ()), key=lambda e: (e.uid, e.what)):
                        _play(event, model, at)
                    db.session.remove()
                model.tick(at)
                before = len(service.deliveries)
                started = clock.perf_counter()
                summaries = workers.tick(at, exec_cli=at in case["exec_cli_at"])
                arrived = [d.received_at for d in service.deliveries[before:]]
                timings.append(StepTiming(clock.perf_counter() - started, len(arrived),
                                          max(arrived) - min(arrived) if arrived else 0.0))
                sent_by_workers += sum(s.get("sent", 0) for s in summaries)
        finally:
            workers.close()

        with app.app_context():
            rows = db.session.execute(
                select(Reminder.user_id, Reminder.kind, Reminder.local_date, Reminder.status, Reminder.context)
            ).all()
            db.session.remove()
            db.engine.dispose()
        deliveries = service.deliveries
        attempts = service.attempts

    # -- 0 missing, 0 extra: the outbox holds exactly what the sequential model planned.
    actual = {(r.user_id, r.kind, r.local_date, r.status) for r in rows}
    expected = model.expected(steps[-1])
    assert len(actual) == len(rows)
    assert actual - expected == set(), "extra or wrong-status reminders"
    assert expected - actual == set(), "missing reminders"

    # -- 0 duplicates: pushes received per subscription and kind == sent rows.
    received = Counter()
    for d in deliveries:
        received[(d.subscription_id, json.loads(d.plaintext)["kind"])] += 1
    sent_rows = Counter((by_uid[r.user_id].sub_id, r.kind) for r in rows if r.status == "sent")
    assert received == sent_rows
    assert sent_by_workers == len(deliveries) == sum(sent_rows.values())
    assert [a for a in attempts if a.status != 201] == []

    # -- Direct counts, no planner: one checkin_due per evening runner per local date
    # without an earlier check-in (due 20:00, sent at the first tick at or after it).
    status = {(r.user_id, r.kind, r.local_date): r for r in rows}
    checked_in: dict[tuple[int, date], datetime] = {}
    for at, evs in events.items():
        for e in evs:
            if e.what != "run":
                checked_in[(e.uid, e.day)] = at
    expected_due = 0
    for spec in specs:
        if spec.profile.name == "late_in_quiet":
            assert not any(k == (spec.uid, "checkin_due") for k in ((u, kd) for u, kd, _ in status))
            continue
        if not spec.profile.name.startswith("evening"):
            continue
        for day in sorted({local(spec, at).date() for at in steps}):
            due = datetime.combine(day, time(20, 0), tzinfo=ZoneInfo(spec.zone)).astimezone(UTC)
            first_tick = next((at for at in steps if at >= due), None)
            if first_tick is None or due < steps[0] or first_tick - due > STALE:
                continue
            before = checked_in.get((spec.uid, day))
            row = status.get((spec.uid, "checkin_due", day))
            if before is not None and before <= first_tick:
                assert row is None, (spec, day)
            else:
                expected_due += 1
                assert row is not None and row.status in ("sent", "skipped"), (spec, day)
                assert row.status == "sent" or row.context.get("merged_into")
    assert expected_due > case["runners"]  # the check above really ran
    # One push per alert-raising check-in: its most urgent kind is sent, once; the other
    # kinds it raised are folded into that push. (A run earlier that day may have raised a
    # push of its own — over the weekly cap — at another time.)
    alert_events = [e for evs in events.values() for e in evs if e.what in ("alert", "fever")]
    assert alert_events
    for e in alert_events:
        kinds = [k for (u, k, d) in status if u == e.uid and d == e.day
                 and k in ("rest", "contact_pt", "contact_doctor")]
        top = min(kinds, key=PRIORITY.__getitem__)
        assert status[(e.uid, top, e.day)].status in ("sent", "pending"), e
        key = f"{e.uid}:{top}:{e.day.isoformat()}"
        others_that_day = any(o.uid == e.uid and o.day == e.day and o.at != e.at
                              for evs in events.values() for o in evs)
        for k in kinds:
            if k != top:
                row = status[(e.uid, k, e.day)]
                merged = row.status == "skipped" and row.context.get("merged_into") == key
                assert merged or others_that_day, (e, k, row.status)

    busiest = max(timings, key=lambda t: t.pushes)
    total_s = sum(t.wall_s for t in timings)
    print(
        f"\n[{backend}] {len(specs)} runners, {case['processes']} processes x {len(steps)} ticks:"
        f" {total_s:.1f} s of ticks, {len(deliveries)} pushes"
        f" ({dict(Counter(r.kind for r in rows if r.status == 'sent'))});"
        f" worker CPU {workers.cpu_s:.1f} s;"
        f" busiest tick {busiest.pushes} pushes, {busiest.wall_s:.2f} s with process start,"
        f" first to last push {busiest.span_s:.3f} s"
        f" ({(busiest.pushes - 1) / busiest.span_s if busiest.span_s else 0:.0f} pushes/s)"
    )
