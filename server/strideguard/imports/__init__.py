"""Import runs from watches and trackers: GPX, TCX, FIT (and their ``.gz``), a Strava bulk
export. ``parse/`` and ``archive.py`` are pure (no Flask, no SQLAlchemy); ``service.py``
writes runs through the training service; ``jobs.py`` runs imports in the background."""
