"""The care plan's rows and values (no queries): a stepped :class:`PlanDay`
as a ``plan_days`` row and back, its events, and the positional build the views over many
runners use (``VIEW_COLUMNS``)."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, null

from strideguard.day.reason import Reason
from strideguard.day.values import Pain
from strideguard.plan.machine import PlanDay, PlanEvent, PlanState
from strideguard.plan.models import PlanDayRow

_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(PlanState) if f.name not in ("cause", "day"))


# --- rows <-> values ------------------------------------------------------------------


def _row_values(user_id: int, day: PlanDay) -> dict[str, Any]:
    s = day.state
    values = {name: getattr(s, name) for name in _STATE_FIELDS}
    values.update(
        user_id=user_id,
        date=day.date,
        cause_metric=s.cause.metric if s.cause else None,
        cause_value=s.cause.value if s.cause else None,
        cause_threshold=s.cause.threshold if s.cause else None,
        cap_m=day.cap_m,
        week_cap_m=day.week_cap_m,
        distance_pct=day.distance_pct,
        speed_pct=day.speed_pct,
        verdict=day.verdict,
        pains=[[p.field, p.value] for p in day.pains],
        notes=list(day.notes),
        clean_weeks=[[monday.isoformat(), metres] for monday, metres in s.clean_weeks],
    )
    return values


def _weeks(raw: Any) -> tuple[tuple[date, float], ...]:
    """``clean_weeks`` as stored (JSON ``[[iso, metres], ...]``) → the state's tuple."""
    if not raw:
        return ()
    if isinstance(raw, tuple):
        return raw
    return tuple((date.fromisoformat(monday) if isinstance(monday, str) else monday, float(metres))
                 for monday, metres in raw)


def _state_values(v: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: v[name] for name in _STATE_FIELDS}
    values["clean_weeks"] = _weeks(values["clean_weeks"])
    return values


def _event_values(user_id: int, event: PlanEvent) -> dict[str, Any]:
    return {
        "user_id": user_id, "date": event.day, "from_state": event.from_state,
        "to_state": event.to_state, "kind": event.kind, "metric": event.reason.metric,
        "value": event.reason.value, "threshold": event.reason.threshold,
        "detail": dict(event.detail),
    }


def _values(row: Any) -> dict[str, Any]:
    """A plan_days row (ORM object or Core row) as a dict of its columns."""
    if hasattr(row, "_asdict"):
        return row._asdict()
    return {c.name: getattr(row, c.name) for c in PlanDayRow.__table__.columns}


def _state_of(row: Any) -> PlanState:
    v = _values(row)
    cause = Reason(v["cause_metric"], v["cause_value"], v["cause_threshold"]) if v["cause_metric"] else None
    return PlanState(**_state_values(v), cause=cause, day=v["date"])


def _day_of(row: Any, events: Sequence[PlanEvent] = ()) -> PlanDay:
    v = _values(row)
    cause = Reason(v["cause_metric"], v["cause_value"], v["cause_threshold"]) if v["cause_metric"] else None
    state = PlanState(**_state_values(v), cause=cause, day=v["date"])
    return PlanDay(
        date=v["date"], state=state, cap_m=v["cap_m"], week_cap_m=v["week_cap_m"],
        distance_pct=v["distance_pct"], speed_pct=v["speed_pct"], verdict=v["verdict"],
        pains=tuple(Pain(f, p) for f, p in (v.get("pains") or ())),
        events=tuple(events), notes=tuple(v.get("notes") or ()),
    )


def _event_of(row: Any) -> PlanEvent:
    return PlanEvent(row.date, row.from_state, row.to_state, row.kind,
                     Reason(row.metric, row.value, row.threshold), dict(row.detail or {}))


def _view_column(column: Any) -> Any:
    """A ``plan_days`` column as a view reads it. The cause's JSON values are stored as JSON
    ``null`` when there is no cause (most days): read as SQL NULL then, which the driver
    hands back without decoding — 50,000 ``json.loads`` fewer in a 25,000-runner sweep."""
    if column.name in ("cause_value", "cause_threshold"):
        return case((PlanDayRow.cause_metric.is_(None), null()), else_=column).label(column.name)
    return column


#: The plan_days columns a view over many runners reads (not the day's pains and notes), in
#: table order — which is :class:`PlanState`'s field order, so a state is built by position.
VIEW_COLUMNS = tuple(_view_column(c) for c in PlanDayRow.__table__.columns
                     if c.name not in ("id", "pains", "notes", "created_at"))


_VIEW_AT = {c.name: i for i, c in enumerate(VIEW_COLUMNS)}
_V_USER, _V_DATE, _V_METRIC, _V_VALUE, _V_THRESHOLD, _V_CAP, _V_WEEK_CAP, _V_DIST, _V_SPEED, _V_VERDICT = (
    _VIEW_AT[n] for n in ("user_id", "date", "cause_metric", "cause_value", "cause_threshold", "cap_m",
                          "week_cap_m", "distance_pct", "speed_pct", "verdict"))
_STATE_ORDER = tuple(f.name for f in dataclasses.fields(PlanState))
_BEFORE_CAUSE = _STATE_ORDER[:_STATE_ORDER.index("cause")]
_AFTER_CAUSE = _STATE_ORDER[_STATE_ORDER.index("cause") + 1:_STATE_ORDER.index("day")]
if _STATE_ORDER[-1] != "day" or set(_BEFORE_CAUSE + _AFTER_CAUSE) != set(_STATE_FIELDS):
    raise RuntimeError("view_day builds PlanState by position: its fields changed shape")
_state_head = operator.itemgetter(*(_VIEW_AT[n] for n in _BEFORE_CAUSE))
_state_tail = operator.itemgetter(*(_VIEW_AT[n] for n in _AFTER_CAUSE))


def view_day(v: Sequence[Any]) -> PlanDay:
    """A stored day from a ``VIEW_COLUMNS`` row's values, by position: the reminder sweep
    reads tens of thousands, and a per-row dict of every column cost it a second."""
    cause = Reason(v[_V_METRIC], v[_V_VALUE], v[_V_THRESHOLD]) if v[_V_METRIC] else None
    state = PlanState(*_state_head(v), cause, *_state_tail(v), v[_V_DATE])
    object.__setattr__(state, "clean_weeks", _weeks(state.clean_weeks))
    return PlanDay(date=v[_V_DATE], state=state, cap_m=v[_V_CAP], week_cap_m=v[_V_WEEK_CAP],
                   distance_pct=v[_V_DIST], speed_pct=v[_V_SPEED], verdict=v[_V_VERDICT])


def view_day_or_none(v: Sequence[Any]) -> PlanDay | None:
    """``view_day`` of an outer-joined row; ``None`` where no day was stored."""
    return view_day(v) if v[_V_USER] is not None else None


def on_day(user_id: Any, day: Any) -> Any:
    """The join condition of a runner's stored plan day on ``day`` (a column or expression,
    such as the runner's local today by zone): outer-join ``PlanDayRow`` on it and read
    ``VIEW_COLUMNS``; ``view_day`` builds the day (absent: the user_id column is NULL)."""
    return and_(PlanDayRow.user_id == user_id, PlanDayRow.date == day)
