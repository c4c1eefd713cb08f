"""De-duplication by id keeps the most severe advice, so a quieter card can never hide a
louder one of the same id (and loosen the day's verdict)."""

from __future__ import annotations

from datetime import date

from strideguard.guidance.advice import Advice, Source
from strideguard.guidance.engine import dedupe, status_of

D = date(2025, 3, 12)
PLUGIN = Source("knee", "1.0")


def advice(id_: str, action: str = "info", severity: str = "info", title: str = "A card") -> Advice:
    return Advice(id_, action, severity, title, "Because.", source=PLUGIN)


def test_a_later_more_severe_card_of_the_same_id_wins() -> None:
    quiet = advice("knee.swollen")
    loud = advice("knee.swollen", "contact_doctor", "urgent", "Call a doctor today")
    kept = dedupe([quiet, advice("knee.other"), loud])
    assert kept == [loud, advice("knee.other")]  # in the place of the first
    assert status_of(kept) == "stop"


def test_ties_keep_the_first() -> None:
    first, second = advice("knee.x", title="First"), advice("knee.x", title="Second")
    assert dedupe([first, second]) == [first]


def test_same_severity_keeps_the_stricter_action() -> None:
    run_less = advice("knee.x", "reduce_volume", "warning")
    rest = advice("knee.x", "rest", "warning")
    assert dedupe([run_less, rest]) == [rest]
    assert dedupe([rest, run_less]) == [rest]


def test_a_less_severe_later_card_is_dropped() -> None:
    loud = advice("knee.x", "rest", "urgent")
    assert dedupe([loud, advice("knee.x")]) == [loud]
