"""Markers for tests whose subject does not depend on the database backend."""

from __future__ import annotations

import pytest

#: Run on SQLite only (headers, body size, password policy: no SQL difference to cover).
#: Overrides the ``migrated`` fixture's backend parameter from tests/conftest.py.
SQLITE_ONLY = pytest.mark.parametrize("migrated", ["sqlite"], indirect=True)
