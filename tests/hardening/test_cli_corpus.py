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


def _param(case):
    # inf and text values in mediation data: their messages are mediation/data.py's (helper medapi)
    marks = [pytest.mark.xfail(strict=True, reason="medapi: inf/text messages in mediation/data.py")
             ] if "medapi" in case.tags else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case_is_clear(case, tmp_path):
    kind, detail = classify(case, tmp_path)
    assert kind == "clear", f"{case.id} (point {case.point}): {kind}: {detail}"


def test_corpus_covers_every_point():
    assert {c.point for c in CASES} == set(range(1, 10))  # point 10: test_orphan_workers.py
