"""PlanReport in a notebook: _repr_html_ carries the report's stylesheet, scoped to the report."""

from __future__ import annotations

import re
import warnings

import pytest

from facmech.report import PowerAssumptions, plan
from facmech.report.render import _css, inline_html, scoped_css

PATH = ("facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake")


@pytest.fixture(scope="module")
def report():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan(treatment="facilitation", outcome="uptake", path=PATH, sites=(8,),
                    assumptions=PowerAssumptions(reps=10), seed=1)


def _rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every style rule, inside @media blocks too."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"@media[^{]*\{", "", css)
    return [(s.strip(), " ".join(b.split())) for s, b in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_repr_html_includes_the_stylesheet(report):
    frag = report._repr_html_()
    assert frag.startswith('<div class="facmech-report"><style>')
    style = frag[frag.index("<style>") + 7:frag.index("</style>")]
    assert style == scoped_css()
    body = frag[frag.index("</style>") + 8:]
    assert body.startswith("<main>") and body.endswith("</main></div>")
    assert f"<h1>{inline_html(report.title)}</h1>" in body and "Contents</h2>" in body
    # the same report as the saved page, only the page shell differs
    page = report.to_html()
    assert body[:-len("</div>")] in page


def test_scoped_stylesheet_touches_nothing_outside_the_report():
    scoped, original = _rules(scoped_css()), _rules(_css())
    assert len(scoped) == len(original) > 30  # every rule kept, none added
    for (sel, decl), (orig_sel, orig_decl) in zip(scoped, original, strict=True):
        assert decl == orig_decl
        parts = [p.strip() for p in sel.split(",")]
        assert len(parts) == len(orig_sel.split(","))
        for p in parts:
            assert p == ".facmech-report" or p.startswith(".facmech-report "), p
    # the page-level rules (:root variables, body font and colours) land on the wrapper itself
    wrapper = [decl for sel, decl in scoped if sel == ".facmech-report"]
    assert any("--accent" in d for d in wrapper) and any("font:" in d for d in wrapper)
    assert "@media print { .facmech-report nav {" in scoped_css()


def test_saved_page_keeps_the_plain_stylesheet(report):
    page = report.to_html()
    assert f"<style>{_css()}</style>" in page and ".facmech-report" not in page
