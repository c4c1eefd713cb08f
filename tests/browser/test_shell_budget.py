"""Static checks of the shell (no browser needed): size budget, the service worker's
precache list, CSP-readiness and safe rendering."""

from __future__ import annotations

import json
import re
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "client"
#: The shell's budget, uncompressed. 150 KB until the editable record, the therapist's
#: one-page print and the verdict card (issues 21 and 22) brought it to 170 KB (about 45 KB
#: gzipped); Lighthouse on a phone still scores the shell 0.96 and History 0.99. Raised to
#: 200 KB with that measurement: a feature that needs more has to show its scores too.
#: The exercise programme (issue 23: the runner's day and session screens, the therapist's
#: programme builder, the patient chart's plan spans and exercise pain) brought it to 200 KB;
#: raised to 230 KB with `make lighthouse` at phone size afterwards (scores in the issue's note:
#: every screen at performance >= 0.9, accessibility and best practices 1.00).
BUDGET_BYTES = 230 * 1024


def shell_files() -> list[Path]:
    return [CLIENT / "index.html", *sorted((CLIENT / "css").glob("*.css")), *sorted((CLIENT / "js").glob("*.js")), CLIENT / "sw.js"]


def test_shell_is_under_its_budget_uncompressed() -> None:
    total = sum(p.stat().st_size for p in shell_files())
    print(f"shell size: {total / 1024:.1f} KB")
    assert total < BUDGET_BYTES


def test_service_worker_precaches_every_shell_file() -> None:
    sw = (CLIENT / "sw.js").read_text()
    listed = set(re.findall(r"'(/[^']*)'", sw.split("const SHELL = [", 1)[1].split("];", 1)[0]))
    expected = {"/" + p.relative_to(CLIENT).as_posix() for p in shell_files() if p.name != "sw.js"}
    expected |= {"/", "/manifest.webmanifest"}
    expected |= {"/" + p.relative_to(CLIENT).as_posix() for p in (CLIENT / "icons").glob("*.png")}
    assert listed == expected


def test_manifest_is_complete() -> None:
    manifest = json.loads((CLIENT / "manifest.webmanifest").read_text())
    assert {"id", "name", "short_name", "start_url", "display", "theme_color", "background_color"} <= set(manifest)
    assert manifest["display"] == "standalone"
    icons = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:
        data = (CLIENT / icon["src"].lstrip("/")).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_no_inline_script_style_or_handlers() -> None:
    html = (CLIENT / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
    assert "<style" not in html and " style=" not in html


def test_scripts_never_write_markup() -> None:
    for path in (CLIENT / "js").glob("*.js"):
        text = path.read_text()
        for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert bad not in text, f"{path.name} uses {bad}"
