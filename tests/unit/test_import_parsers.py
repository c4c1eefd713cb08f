"""The parsers on real device files, checked against a second, independent reading of each
file (its own lap records, its own odometer, or the raw points re-measured here), within 1%;
then every hostile input the issue lists, each refused with a clear sentence."""

from __future__ import annotations

import gzip
import math
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import fitdecode
import pytest
from defusedxml import ElementTree as SafeET
from tcxreader.tcxreader import TCXReader

from strideguard.imports.parse import Limits, ParseError, parse_activity_file
from tests.imports.support import CORPUS, fixture

UTC = timezone.utc

#: file -> (sport, start UTC, device, distance m, moving s) as our parser reads them.
EXPECTED = {
    "activity-small-fenix2-run.fit": ("running", datetime(2015, 8, 15, 14, 45, 8, tzinfo=UTC), "Garmin fenix2", 9008.22, 2832.0),
    "garmin-fr110-run.fit": ("running", datetime(2013, 2, 6, 12, 11, 14, tzinfo=UTC), "Garmin fr110", 4835.38, 2625.14),
    "developer-types-sample.fit": ("running", datetime(2017, 1, 17, 17, 6, 47, tzinfo=UTC), "Stryd", 6753.99, 3424.0),
    "garmin-fenix-5-run.fit": ("running", datetime(2017, 6, 11, 14, 34, 9, tzinfo=UTC), "Garmin fenix5", 157.56, 56.887),
    "garmin-fenix-5-bike.fit": ("cycling", datetime(2017, 6, 12, 16, 9, 22, tzinfo=UTC), "Garmin fenix5", 459.52, 60.363),
    "forerunner410-run.tcx": ("running", datetime(2012, 12, 26, 21, 29, 53, tzinfo=UTC), "Forerunner 410", 4689.24, 1986.0),
    "forerunner410-run-no-hr.tcx": ("running", datetime(2012, 12, 26, 21, 29, 53, tzinfo=UTC), "Forerunner 410", 4689.24, 1986.0),
    "sup_activity_1.tcx": (None, datetime(2022, 7, 16, 16, 8, 25, tzinfo=UTC), "vívoactive HR", 1157.51, 1040.0),
    "cerknicko-jezero.gpx": (None, datetime(2010, 8, 5, 14, 23, 59, tzinfo=UTC), "GPSBabel - http://www.gpsbabel.org", 4580.1, 1961.0),
    "around-visnjan-with-car.gpx": (None, datetime(2020, 12, 18, 6, 15, 50, tzinfo=UTC), "eTrex 20x", 2736.3, 250.0),
}


def within(value: float, reference: float, tolerance: float = 0.01) -> bool:
    return abs(value - reference) <= tolerance * abs(reference)


# -- second readings ----------------------------------------------------------------------


def fit_laps(name: str) -> tuple[float, float]:
    """The FIT file's own lap records: summed distance and timer time."""
    distance = timer = 0.0
    with fitdecode.FitReader(str(CORPUS / name)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "lap":
                distance += frame.get_value("total_distance", fallback=0) or 0
                timer += frame.get_value("total_timer_time", fallback=0) or 0
    return distance, timer


def tcx_trackpoints(name: str) -> tuple[float, float]:
    """The device's odometer at the last track point (tcxreader), and the time spent above
    2 km/h between the raw track points (their odometer and times read here): these files'
    lap times equal their elapsed times, so the points say where the pauses were."""
    exercise = TCXReader().read(str(CORPUS / name), only_gps=False)
    odometer = max(t.distance for t in exercise.trackpoints if t.distance is not None)
    return odometer, tcx_points_moving(CORPUS / name)


def tcx_points_moving(path, activity: int = 0) -> float:
    """Seconds above 2 km/h between consecutive <Trackpoint>s of one <Activity>, from the raw XML."""
    root = SafeET.parse(str(path)).getroot()
    acts = [e for e in root.iter() if e.tag.endswith("}Activity")]
    points = []
    for tp in (e for e in acts[activity].iter() if e.tag.endswith("}Trackpoint")):
        child = {c.tag.rsplit("}", 1)[-1]: c.text for c in tp}
        if child.get("Time") and child.get("DistanceMeters"):
            points.append((datetime.fromisoformat(child["Time"].replace("Z", "+00:00")), float(child["DistanceMeters"])))
    moving = 0.0
    for (t1, d1), (t2, d2) in zip(points, points[1:]):
        seconds = (t2 - t1).total_seconds()
        if seconds > 0 and (d2 - d1) / seconds * 3.6 >= 2.0:
            moving += seconds
    return moving


def _haversine(a, b) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(h))


def gpx_points(name: str) -> tuple[float, float]:
    """Re-measure the raw points: great-circle distance, and time spent above 2 km/h
    (3D between points with elevations, as the moving-time definition says)."""
    root = SafeET.parse(str(CORPUS / name)).getroot()
    distance = moving = 0.0
    for seg in (e for e in root.iter() if e.tag.endswith("trkseg")):
        points = []
        for p in (e for e in seg if e.tag.endswith("trkpt")):
            child = {c.tag.rsplit("}", 1)[-1]: c.text for c in p}
            points.append((float(p.get("lat")), float(p.get("lon")), float(child["ele"]) if child.get("ele") else None,
                           datetime.fromisoformat(child["time"].replace("Z", "+00:00"))))
        for a, b in zip(points, points[1:]):
            flat = _haversine(a, b)
            distance += flat
            step = math.hypot(flat, b[2] - a[2]) if a[2] and b[2] else flat
            seconds = (b[3] - a[3]).total_seconds()
            if seconds > 0 and step and step / seconds * 3.6 > 2.0:
                moving += seconds
    return distance, moving


def second_reading(name: str) -> tuple[float, float]:
    if name.endswith(".fit"):
        return fit_laps(name)
    if name.endswith(".tcx"):
        return tcx_trackpoints(name)
    return gpx_points(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_distance_and_moving_time_match_an_independent_reading(name):
    sport, start, device, distance, moving = EXPECTED[name]
    [activity] = parse_activity_file(name, fixture(name))
    assert activity.sport == sport
    assert activity.started_at == start
    assert activity.device == device
    assert activity.distance_m == pytest.approx(distance, abs=0.1)
    assert activity.moving_s == pytest.approx(moving, abs=0.1)
    other_distance, other_moving = second_reading(name)
    assert within(activity.distance_m, other_distance), (activity.distance_m, other_distance)
    assert within(activity.moving_s, other_moving), (activity.moving_s, other_moving)


def test_gzipped_files_read_like_the_plain_ones():
    for name in ("activity-small-fenix2-run.fit", "forerunner410-run.tcx", "cerknicko-jezero.gpx"):
        plain = parse_activity_file(name, fixture(name))
        assert parse_activity_file(name + ".gz", gzip.compress(fixture(name))) == plain


def test_fit_developer_fields_do_not_stop_the_import():
    # Stryd's footpod writes developer fields (power, form power) into every record.
    [activity] = parse_activity_file("developer-types-sample.fit", fixture("developer-types-sample.fit"))
    assert activity.is_run and activity.distance_m > 6000


def test_tcx_elevation_and_gpx_elevation_are_read():
    [tcx] = parse_activity_file("forerunner410-run.tcx", fixture("forerunner410-run.tcx"))
    [gpx] = parse_activity_file("cerknicko-jezero.gpx", fixture("cerknicko-jezero.gpx"))
    assert tcx.elevation_gain_m == pytest.approx(153.8, abs=0.1)
    assert gpx.elevation_gain_m is not None and gpx.elevation_gain_m > 100


# -- hostile and broken input -------------------------------------------------------------

GPX_HEAD = '<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
XXE = (f'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       f'{GPX_HEAD}<trk><name>&xxe;</name></trk></gpx>').encode()
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']>\n<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
          + '<Activities><Activity Sport="Running"><Id>&lol9;</Id></Activity></Activities></TrainingCenterDatabase>').encode()


#: (file name, bytes, what the reason says). Deterministic bytes (gzip with mtime=0) and the
#: names as test ids: every xdist worker must collect the same ids, and a gzip header carries
#: the second it was made in.
BROKEN = [
    ("xxe.gpx", XXE, "DTD"),
    ("laughs.tcx", LAUGHS, "DTD"),
    ("empty.gpx", b"", "empty"),
    ("empty.fit.gz", gzip.compress(b"", mtime=0), "empty"),
    ("photo.gpx", b"\xff\xd8\xff\xe0JFIF" + b"\x00" * 100, "content is something else"),
    ("watch.gpx", fixture("garmin-fenix-5-run.fit"), "content is FIT"),
    ("run.tcx", fixture("cerknicko-jezero.gpx"), "content is GPX"),
    ("run.exe", b"MZ", "Not an activity file"),
    ("truncated.fit", fixture("activity-small-fenix2-run.fit")[:70_000], "truncated"),
    ("broken.fit.gz", gzip.compress(fixture("garmin-fenix-5-run.fit"), mtime=0)[:-40], "gzip stream is damaged"),
    ("notgz.gpx.gz", fixture("cerknicko-jezero.gpx"), "not gzip"),
    ("cut.gpx", fixture("cerknicko-jezero.gpx")[:20_000], "not well-formed XML"),
    ("route.gpx", f'{GPX_HEAD}<rte><rtept lat="1" lon="2"/></rte></gpx>'.encode(), "no recorded track"),
    ("settings.fit", fixture("garmin-fenix-5-run.fit")[:14] + b"", "truncated"),
]


@pytest.mark.parametrize("name,data,says", BROKEN, ids=[name for name, _, _ in BROKEN])
def test_broken_and_hostile_files_fail_with_a_clear_reason(name, data, says):
    with pytest.raises(ParseError) as caught:
        parse_activity_file(name, data)
    assert says.lower() in str(caught.value).lower(), str(caught.value)


def test_a_damaged_fit_file_fails_on_its_checksum():
    data = bytearray(fixture("garmin-fr110-run.fit"))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(ParseError, match="damaged|could not read"):
        parse_activity_file("flipped.fit", bytes(data))


def _big_gpx(points: int) -> bytes:
    t0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    rows = (f'<trkpt lat="{46 + i * 2e-5:.6f}" lon="14.0"><ele>300</ele>'
            f'<time>{(t0 + timedelta(seconds=i)):%Y-%m-%dT%H:%M:%SZ}</time></trkpt>\n' for i in range(points))
    return (f'<?xml version="1.0"?>\n{GPX_HEAD}<trk><trkseg>\n' + "".join(rows) + "</trkseg></trk></gpx>").encode()


def test_a_50_mb_gpx_is_refused_by_size_at_once_and_in_little_memory():
    data = _big_gpx(5000)
    data = data.replace(b"<trk>", b"<trk><desc>" + b"x" * (50 * 1024 * 1024 - len(data)) + b"</desc>", 1)
    assert len(data) >= 50 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ParseError, match="larger than 16 MB"):
            parse_activity_file("huge.gpx", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5  # refused before any parsing
    assert peak < 5 * 1024 * 1024


def test_too_many_points_are_refused_while_streaming_in_bounded_memory():
    data = _big_gpx(12_000)
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="more than 10,000 track points"):
            parse_activity_file("long.gpx", data, Limits(max_points=10_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The safety pass clears elements as it goes: far less than a tree of the document.
    assert peak < 8 * 1024 * 1024, peak


def test_a_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<" + b" " * (40 * 1024 * 1024))
    with pytest.raises(ParseError, match="larger than 16 MB|compression bomb"):
        parse_activity_file("bomb.gpx.gz", bomb)
    ratio_bomb = gzip.compress(b" " * (8 * 1024 * 1024))
    with pytest.raises(ParseError, match="compression bomb"):
        parse_activity_file("bomb.tcx.gz", ratio_bomb)


# -- issue 22: the speed bound, device-relative FIT times, unreadable files ---------------------

from strideguard.imports.plausible import hold_speed, record_speed, usual_speed, verdict  # noqa: E402


@pytest.mark.parametrize("distance_m,record_s", [(5_000, 12 * 60 + 35), (10_000, 26 * 60 + 11), (21_097.5, 57 * 60 + 31)])
def test_the_bound_follows_the_world_records(distance_m, record_s):
    # Riegel's formula from the marathon record lands within 1% of the 5 km, 10 km and half records.
    assert within(record_speed(distance_m), distance_m / record_s)


@pytest.mark.parametrize("distance_km,kmh,expected", [
    (40.7, 24.8, "not_a_run"),  # the road ride: faster than the marathon record
    (17.0, 18.6, "ask"), (10.0, 18.0, "ask"), (5.0, 20.0, "ask"), (25.0, 19.0, "ask"), (1.0, 19.0, "ask"),
    (10.0, 12.0, "run"), (42.195, 13.0, "run"), (5.0, 15.0, "run"),
])
def test_a_road_ride_at_18_to_25_kmh_never_passes_as_a_run(distance_km, kmh, expected):
    distance = distance_km * 1000
    assert verdict(distance, distance / (kmh / 3.6)) == expected


@pytest.mark.parametrize("kmh,usual_kmh,expected", [
    (4.9, None, "slow"), (5.99, None, "slow"), (6.0, None, "run"),       # a walk's pace is asked about
    (14.4, 10.5, "unusual"), (14.1, 10.5, "run"),                        # 1.35 x the runner's usual
    (13.0, 10.0, "run"), (14.4, None, "run"),                            # a race pace; no usual pace yet
    (18.6, 10.5, "ask"), (30.0, 10.5, "not_a_run"),                      # the record bounds come first
])
def test_slow_files_and_files_far_faster_than_the_runner_are_asked_about(kmh, usual_kmh, expected):
    distance = 10_000
    assert verdict(distance, distance / (kmh / 3.6), usual_kmh / 3.6 if usual_kmh else None) == expected


def test_the_usual_speed_is_the_median_of_at_least_three_runs():
    assert usual_speed([3.0, 2.9]) is None
    assert usual_speed([3.0, 2.0, 2.9]) == 2.9
    assert usual_speed([3.0, 2.0, 2.9, 3.1]) == pytest.approx(2.95)


def test_every_road_ride_speed_from_18_kmh_is_asked_or_refused_at_every_distance():
    for km in (1, 2, 3, 5, 8, 10, 15, 21, 30, 42, 60, 100):
        assert hold_speed(km * 1000) * 3.6 < 18.5
        for kmh in (18.5, 20, 22, 25):
            assert verdict(km * 1000, km * 1000 / (kmh / 3.6)) != "run", (km, kmh)


def test_an_fr70_file_with_device_relative_times_reads_its_wall_clock_start():
    [act] = parse_activity_file("fr70.fit", fixture("garmin-fr70-relative-times.fit"))
    assert act.started_at is None  # no UTC time in the file
    assert act.local_start == datetime(2012, 2, 13, 11, 16, 16)  # local_timestamp 12:21:03 - 3887 s
    assert act.sport == "running" and act.distance_m == pytest.approx(10248.67)
    assert act.moving_s == pytest.approx(3772.75)


def test_the_fit_clock_uses_a_timestamp_correlation_first():
    from strideguard.imports.parse.fit import Clock

    at = datetime(2020, 5, 1, 6, 0, tzinfo=UTC)
    clock = Clock((at, 5000), (datetime(2020, 5, 1, 8, 0), 5000))
    assert clock.utc(4000) == at - timedelta(seconds=1000)
    assert clock.utc(at) == at and clock.utc(0x10000000 + 5) is None
    assert Clock(None, (datetime(2020, 5, 1, 8, 0), 5000)).wall(4400) == datetime(2020, 5, 1, 7, 50)
    assert Clock(None, None).utc(4000) is None


def broken_before_any_session() -> bytes:
    """A good FIT file whose first record, right after the header, is a data message of a
    local type never defined: the format breaks before anything is read."""
    data = bytearray(fixture("garmin-fr110-run.fit"))
    data[data[0]] = 0x0B  # record header: data message, local message type 11
    return bytes(data)


def test_a_file_the_parser_cannot_read_gets_a_plain_sentence():
    with pytest.raises(ParseError) as caught:
        parse_activity_file("broken.fit", broken_before_any_session())
    assert str(caught.value).startswith("This FIT file breaks the FIT format")
    assert "GPX or TCX" in str(caught.value) and "local message" not in str(caught.value)


def test_a_fit_broken_after_its_session_summary_keeps_the_session():
    # The Strava Android app's file breaks further on ("local message 11 not defined"), after
    # a whole session summary (running, 11,274 m, 3,558 s) that python-fitparse reads too.
    [act] = parse_activity_file("strava.fit", fixture("strava-android-app.fit"))
    assert (act.sport, round(act.distance_m), act.moving_s) == ("running", 11274, 3558.0)
    assert any("after its session summary" in note for note in act.notes)


def test_a_tcx_with_two_activities_gives_two():
    acts = parse_activity_file("two.tcx", fixture("fr910xt-two-runs.tcx"))
    assert [(a.index, a.sport, a.started_at.date().isoformat()) for a in acts] == [
        (0, "running", "2014-12-26"), (1, "running", "2016-07-29")]
    assert acts[1].notes and "elapsed" in acts[1].notes[0]


# --- real watch files, as a tryout with 204 of them found them ------------------------------


def _gpx(points: list[tuple[float, str | None]], type_: str | None = "running", lead: bytes = b"") -> bytes:
    """A GPX track due north from 52.0 N: (metres from the start, ISO time or None) per point."""
    pts = "".join(
        f'<trkpt lat="{52.0 + m / 111_195.0:.7f}" lon="13.0">' + (f"<time>{t}</time>" if t else "") + "</trkpt>"
        for m, t in points)
    kind = f"<type>{type_}</type>" if type_ else ""
    return lead + (f'<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
                   f'xmlns="http://www.topografix.com/GPX/1/1"><trk>{kind}<trkseg>{pts}</trkseg></trk></gpx>').encode()


def _clock(second: int, zone: str = "Z") -> str:
    return (datetime(2025, 3, 1, 8, 0, tzinfo=UTC) + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S") + zone


def test_a_gpx_point_without_a_time_drops_that_point_not_the_run():
    # One of 296 points without a time read "a planned route, not a recorded run".
    points = [(i * 10.0, _clock(i * 3)) for i in range(300)]
    points[150] = (1500.0, None)
    [act] = parse_activity_file("run.gpx", _gpx(points), Limits())
    assert within(act.distance_m, 2990.0, 0.02) and act.moving_s == pytest.approx(897, abs=3)
    with pytest.raises(ParseError, match="planned route"):
        parse_activity_file("route.gpx", _gpx([(i * 10.0, None) for i in range(50)]), Limits())


def test_a_gpx_with_times_out_of_order_never_moves_longer_than_it_lasts():
    # A Sports Tracker file: moving 6,753 s in 6,582 s elapsed.
    points = [(i * 30.0, _clock(i * 3 if i % 2 == 0 or i < 11 else i * 3 - 30)) for i in range(200)]
    [act] = parse_activity_file("run.gpx", _gpx(points), Limits())
    assert act.moving_s <= act.elapsed_s


def test_gpx_times_without_a_zone_are_utc_and_leading_blank_space_is_fine():
    points = [(i * 10.0, _clock(i * 3, zone="")) for i in range(100)]
    [act] = parse_activity_file("run.gpx", _gpx(points, lead=b"   \n"), Limits())
    assert act.started_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("word", "sport"), [("Other", None), ("generic", None), ("16", "sport code 16"),
                                             ("9", "running"), ("Biking", "cycling")])
def test_no_sport_named_is_asked_about_and_a_number_says_it_is_a_code(word: str, sport: str | None):
    points = [(i * 10.0, _clock(i * 3)) for i in range(100)]
    [act] = parse_activity_file("a.gpx", _gpx(points, type_=word), Limits())
    assert act.sport == sport


def _tcx(laps: list[tuple[float, float]], points: list[tuple[int, float]]) -> bytes:
    """Laps (seconds, metres) over one track of (second, odometer metres) points."""
    track = "".join(f"<Trackpoint><Time>{_clock(t)}</Time><DistanceMeters>{m}</DistanceMeters></Trackpoint>"
                    for t, m in points)
    laps_xml = "".join(
        f'<Lap StartTime="{_clock(0)}"><TotalTimeSeconds>{s}</TotalTimeSeconds><DistanceMeters>{m}</DistanceMeters>'
        f"<Track>{track if i == 0 else ''}</Track></Lap>" for i, (s, m) in enumerate(laps))
    return ('<?xml version="1.0" encoding="UTF-8"?><TrainingCenterDatabase '
            'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
            f'<Activity Sport="Running"><Id>{_clock(0)}</Id>{laps_xml}</Activity></Activities>'
            "</TrainingCenterDatabase>").encode()


def test_tcx_laps_that_cover_part_of_the_track_give_way_to_the_track():
    # A Movescount file: 1,999 m in 625 s of laps over a 2,909 m, 903 s track.
    points = [(t, 10.0 + t * 3.22) for t in range(0, 904, 3)]
    [act] = parse_activity_file("run.tcx", b"  " + _tcx([(313.0, 997.0), (312.0, 1002.0)], points), Limits())
    assert within(act.distance_m, 2906.0, 0.01) and act.moving_s == pytest.approx(903, abs=5)
    assert "track points" in act.notes[0]
    # Laps that match the track stay the truth (the timer stops in pauses).
    [act] = parse_activity_file("run.tcx", _tcx([(450.0, 1450.0), (420.0, 1456.0)], points), Limits())
    assert act.distance_m == 2906.0 and act.moving_s == 870.0


@pytest.mark.parametrize(("moving_min", "elapsed_min", "expected"), [
    (33, 120, "paused"),   # a real walk with a drive in it: 27% of two hours moving
    (61, 120, "run"),      # a run with a long stop: more than half moving
    (10, 25, "run"),       # short recordings are not judged by their pauses
])
def test_a_long_recording_mostly_standing_still_is_asked_about(moving_min: int, elapsed_min: int, expected: str):
    from strideguard.imports.plausible import verdict

    distance = moving_min * 60 * 2.3  # 8.3 km/h while moving: a run's speed
    assert verdict(distance, moving_min * 60, None, elapsed_min * 60) == expected
