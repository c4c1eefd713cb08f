"""(PURE) Is an activity that does not name its sport fast enough to be a ride, not a run?

The bound depends on the distance, because nobody holds a 5 km pace over a marathon:

- **Speed a runner can hold over a distance** follows Riegel's endurance formula,
  t2 = t1 * (d2 / d1) ** 1.06 (P. S. Riegel, "Athletic records and human endurance",
  American Scientist 69:285-290, 1981), i.e. speed ~ distance ** -0.06. Anchored at the men's
  marathon world record (2:00:35, K. Kiptum, Chicago 2023: 5.83 m/s, 21.0 km/h) it gives
  23.9 km/h at 5 km and 22.9 km/h at 10 km, within 0.5% of those world records (12:35, 26:11).
- **Held for the runner's answer** above 70% of that world-record speed. Age grading (World
  Masters Athletics, formerly WAVA, age-graded tables; USATF Masters, "Age Grading", 2018)
  rates a result as a share of the world record: over 60% local class, over 70% regional
  class, over 80% national, over 90% world class. 70% is 16.7 km/h over 5 km (a 17:58 5 km),
  16.0 km/h over 10 km (37:24), 14.7 km/h over a marathon (2:52), and never more than
  18.4 km/h (anything up to 1 km). So a road ride at 18-25 km/h never passes as a run, and
  only a runner of regional class or better whose file names no sport is asked (one tap).
- **Skipped** above the world-record speed itself: no human runs it, so it is a ride or a
  drive (the runner is not asked).
- **Held as well, against the runner's own record** (found trying it with a real export: an
  untyped 18 km ride at 14.4 km/h and a 5 km walk at 4.9 km/h went in as runs, and the ride
  made a +63% week): below ``WALK_KMH`` (6 km/h, a brisk walk; even run-walk beginners move
  faster) it is ``"slow"``; more than ``UNUSUAL_FACTOR`` (1.35) times the runner's usual speed
  — the median of their runs of the 90 days before, once there are ``USUAL_RUNS`` (3) — it is
  ``"unusual"``. A 5 km race is about 1.2-1.3 times easy pace, so races pass; a ride at a
  leisurely 14-18 km/h past a 10 km/h runner does not.
"""

from __future__ import annotations

#: Men's marathon world record: 42 195 m in 2:00:35 (Kiptum, 2023).
RECORD_DISTANCE_M = 42_195.0
RECORD_SPEED_MPS = 42_195.0 / 7_235.0
RIEGEL_EXPONENT = 1.06
#: Share of the world-record speed above which a file without a sport is held (70% = regional class).
HOLD_SHARE = 0.70
#: Shorter than this, the bound stays at its value for this distance (sprints are not files).
SHORTEST_M = 1_000.0


def record_speed(distance_m: float) -> float:
    """World-record-level running speed (m/s) over ``distance_m`` by Riegel's formula."""
    d = max(distance_m, SHORTEST_M)
    return RECORD_SPEED_MPS * (d / RECORD_DISTANCE_M) ** (1 - RIEGEL_EXPONENT)


def hold_speed(distance_m: float) -> float:
    """Above this average speed (m/s) a file that names no sport needs the runner's answer."""
    return HOLD_SHARE * record_speed(distance_m)


#: Below this average speed a file that names no sport is asked about (a walk?).
WALK_KMH = 6.0
#: Above this multiple of the runner's usual speed, a file that names no sport is asked about.
UNUSUAL_FACTOR = 1.35
#: Runs needed (in the 90 days before) before the runner's usual speed is used.
USUAL_RUNS = 3


def usual_speed(speeds: list[float]) -> float | None:
    """The runner's usual speed (m/s): the median of their recent runs' average speeds, or
    ``None`` with fewer than ``USUAL_RUNS``."""
    if len(speeds) < USUAL_RUNS:
        return None
    ordered = sorted(speeds)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


#: Moving for less than this share of a recording's elapsed time (and it lasting longer than
#: ``PAUSED_MIN_S``) is not one run's pattern: a walk with a drive in it (a real file moved for
#: 27% of its two hours, at 2.8 km/h, then 20 and 17 km/h), a hike with long stops.
MOVING_SHARE = 0.5
PAUSED_MIN_S = 30 * 60


def verdict(distance_m: float, moving_s: float, usual_mps: float | None = None,
            elapsed_s: float | None = None) -> str:
    """"run" (plausible); held for the runner's answer: "ask" (fast for anyone), "slow" (a
    walk?), "unusual" (far faster than this runner's usual runs), "paused" (moving for under
    half of a long recording); or "not_a_run" (faster than any runner)."""
    speed = distance_m / moving_s
    if speed > record_speed(distance_m):
        return "not_a_run"
    if speed > hold_speed(distance_m):
        return "ask"
    if speed * 3.6 < WALK_KMH:
        return "slow"
    if usual_mps and speed > UNUSUAL_FACTOR * usual_mps:
        return "unusual"
    if elapsed_s and elapsed_s > PAUSED_MIN_S and moving_s < MOVING_SHARE * elapsed_s:
        return "paused"
    return "run"
