"""The runner's day (PURE): the floor every other layer stands on.

What one local day holds — the check-in and run values (``day.values``), the numbers behind
an advice (``day.reason.Reason``), the one table of red flags and their words
(``day.redflags``) and distances, paces and dates in the runner's unit (``day.units``).
Nothing here imports Flask, SQLAlchemy or any other StrideGuard package but ``load``'s
arithmetic: ``plan``, ``guidance``, ``clinic`` and ``reminders`` import from here, never the
other way round (``tests/unit/test_layers.py`` parses the imports to keep it so).
"""
