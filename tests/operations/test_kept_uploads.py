"""Kept uploads cannot fill the data volume: a failed import keeps nothing, each runner has a
quota (``IMPORT_KEEP_MB``) and kept files expire (``IMPORT_KEEP_DAYS``), on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from strideguard.imports import jobs
from strideguard.timeutil import utcnow
from tests.imports.support import fixture, import_file, upload
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


def kept_files(app) -> list[str]:
    return sorted(p.name for p in (Path(app.instance_path) / "imports").glob("*.upload"))


def test_a_failed_import_keeps_nothing_even_when_asked(app, runner):
    before = kept_files(app)  # the instance folder is shared by the session's tests
    junk = import_file(runner, "junk.gpx", b"<gpx>not really</gpx" * 50, keep=True)
    assert junk["failed"] == 1 and junk["file_kept"] is False
    bad_zip = import_file(runner, "export.zip", b"PK\x03\x04 truncated", keep=True)
    assert bad_zip["status"] in ("failed", "done") and bad_zip["file_kept"] is False
    assert kept_files(app) == before
    good = import_file(runner, "run.tcx", fixture("forerunner410-run.tcx"), keep=True)
    assert good["created"] == 1 and good["file_kept"] is True
    assert len(kept_files(app)) == len(before) + 1


@pytest.mark.parametrize("app", [{"IMPORT_KEEP_MB": 1}], indirect=True)
def test_kept_uploads_have_a_quota_per_runner(app, runner, other):
    data = fixture("forerunner410-run.tcx")  # 184 KB: five fit in 1 MB, not six
    before = len(kept_files(app))
    for _ in range(5):
        assert import_file(runner, "run.tcx", data, keep=True)["file_kept"] is True
    refused = upload(runner, "run.tcx", data, keep=True)
    error = assert_error(refused, 422, "validation_failed", "keep_file")
    assert error["message"].startswith("Import it without keeping the file")
    assert len(kept_files(app)) == before + 5  # the refused upload was not left behind
    # The same file without keep_file imports as usual; another runner has their own quota.
    assert upload(runner, "run.tcx", data).status_code == 202
    assert import_file(other, "run.tcx", data, keep=True)["file_kept"] is True


def test_kept_uploads_expire(app, runner):
    before = kept_files(app)
    body = import_file(runner, "run.tcx", fixture("forerunner410-run.tcx"), keep=True)
    assert body["file_kept"] is True
    with app.app_context():
        days = app.config["IMPORT_KEEP_DAYS"]
        assert jobs.expire_kept(utcnow() + timedelta(days=days) - timedelta(hours=1)) == 0
        assert len(kept_files(app)) == len(before) + 1
        assert jobs.expire_kept(utcnow() + timedelta(days=days, hours=1)) == 1
    assert kept_files(app) == before
    assert runner.get(f"/api/v1/imports/{body['id']}").get_json()["import"]["file_kept"] is False
