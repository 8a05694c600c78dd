"""The analysis-plan report in a real browser (issue 13): headless Chromium renders the
self-contained HTML page, its embedded figures included (the map's highlighted path shows its
orange, the boxes their fills), with no request leaving the page. Skipped where Chromium is not
installed (``apt-get install chromium``)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from facmech.report import PowerAssumptions, plan

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
    "google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def _shot(html, png, height: int) -> np.ndarray:
    import matplotlib.image as mpimg

    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", f"--window-size=1280,{height}",
         f"--screenshot={png}", html.as_uri()],
        check=True, capture_output=True, timeout=120)
    return mpimg.imread(png)[:, :, :3]


def test_report_renders_with_its_figures(tmp_path):
    rep = plan(path="facilitation,leadership_engagement,champions,normalization,uptake",
               sites=(12, 24), assumptions=PowerAssumptions(reps=10), seed=1,
               out=tmp_path / "plan.html")
    img = _shot(tmp_path / "plan.html", tmp_path / "shot.png", 6000)
    assert img.shape[1] == 1280
    ink = (img.sum(axis=2) < 2.7).mean()
    assert ink > 0.02  # text and figures, not a blank page
    orange = np.abs(img - np.array([0xD5, 0x5E, 0x00]) / 255).max(axis=2) < 0.08
    assert orange.sum() > 500  # the highlighted path of the embedded map figure
    blue = np.abs(img - np.array([0xCF, 0xE6, 0xF5]) / 255).max(axis=2) < 0.03
    assert blue.sum() > 2000  # mechanism boxes
    assert rep.sections[1].id == "map"
