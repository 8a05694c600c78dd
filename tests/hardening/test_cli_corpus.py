"""Every case of the hardening corpus (issue 14) is clear from the CLI: exit 2, one stderr line
naming the problem, no traceback, no LAPACK chatter, and no file created or changed; cases whose
right answer is a result pass their own check (escaped Markdown, warned NaN)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from corpus import CASES, classify

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_case_is_clear(case, tmp_path):
    kind, detail = classify(case, tmp_path)
    assert kind == "clear", f"{case.id} (point {case.point}): {kind}: {detail}"


def test_corpus_covers_every_point():
    assert {c.point for c in CASES} == set(range(1, 10))  # point 10: test_orphan_workers.py
