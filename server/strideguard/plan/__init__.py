"""The care plan: a per-runner state machine (normal → rest → return → normal).

``machine`` and ``phases`` are pure (no Flask, no SQLAlchemy); ``service`` keeps the plan in
the database with its history; ``api`` serves ``GET /api/v1/plan``.
"""
