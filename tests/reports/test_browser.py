"""Every report drawn by a real browser (headless chromium): a broken layout is seen, not
guessed. The screenshots must not be blank and must be as wide as the page asks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rgpd.reports import service
from rgpd.reports.context import ReportKind
from rgpd.workspace import Workspace
from tests.conftest import missing
from tests.reports import dataset

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if not Path(CHROMIUM).exists():
        missing("needs chromium: run `make system-deps`")


FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1100,1600",
]


def _stats(png: Path) -> tuple[float, int]:
    from PIL import Image, ImageStat

    img = Image.open(png).convert("L")
    return float(ImageStat.Stat(img).var[0]), len(img.getcolors(65536) or [])


def test_every_report_renders_in_chromium(fixed_ws: Workspace, tmp_path: Path) -> None:
    pages = {
        k.value: service.generate(
            fixed_ws,
            k,
            org="mairie",
            out_dir=tmp_path / "html",
            lang="fr",
            year=dataset.YEAR if k == ReportKind.ANNUAL else None,
            today=dataset.TODAY,
            now=dataset.NOW,
        ).path
        for k in ReportKind
    }
    # Run the browsers side by side (each with its own profile): one at a time is slow.
    procs = {}
    for kind, html in pages.items():
        png = tmp_path / f"{kind}.png"
        cmd = [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / ('profile-' + kind)}",
            f"--screenshot={png}",
            html.as_uri(),
        ]
        procs[kind] = (
            png,
            subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        )
    for kind, (png, proc) in procs.items():
        assert proc.wait(timeout=120) == 0, kind
        variance, colours = _stats(png)
        assert variance > 200, f"{kind}: blank page?"
        assert colours > 20, f"{kind}: no text or table drawn?"
