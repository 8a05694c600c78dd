"""HTML and Markdown rendering of report documents: self-contained, escaped, complete."""

from __future__ import annotations

import base64
import io
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from facmech.errors import FacmechError
from facmech.report.document import (
    Bullets,
    Callout,
    CalloutKind,
    Code,
    Figure,
    Paragraph,
    Section,
    Table,
    format_cell,
)
from facmech.report.render import inline_html, render_html, render_markdown


def _png() -> Figure:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    return Figure.from_matplotlib(fig, caption="a line", dpi=40)


@pytest.fixture(scope="module")
def sections() -> list[Section]:
    frame = pd.DataFrame({"node": ["trust", "a|b"], "power": [0.81234, float("nan")]})
    return [
        Section("one", "First <section>", (
            Paragraph("Uses `code_x` and **bold** and <script>alert(1)</script>."),
            Bullets(("one", "two"), ordered=True),
            Callout("careful", CalloutKind.WARN, "Note."),
            Code("P(y | do(x)) <- formula & more"),
        )),
        Section("two", "Second", (Table.from_frame(frame, caption="cap"), _png())),
    ]


def test_inline_marks_and_escaping():
    assert inline_html("`a<b>` & **c**") == "<code>a&lt;b&gt;<wbr></code> &amp; <strong>c</strong>"


def test_html_is_self_contained_and_escaped(sections):
    page = render_html("Plan & <title>", sections, subtitle="sub", footer="foot")
    assert page.startswith("<!DOCTYPE html>")
    # no external resources of any kind: no URLs, no linked stylesheets or scripts
    assert not re.search(r"https?://", page)
    assert "<link" not in page and "<script" not in page
    assert "&lt;script&gt;<wbr>alert(1)&lt;/script&gt;<wbr>" in page
    srcs = re.findall(r'src="([^"]+)"', page)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")
    png = base64.b64decode(srcs[0].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    # the inline stylesheet and every section with its anchor and table of contents entry
    assert "<style>" in page and ".callout.warn" in page
    for sid in ("one", "two"):
        assert f'<section id="{sid}">' in page and f'href="#{sid}"' in page
    assert "<caption>cap</caption>" in page
    assert "<td>0.812</td>" in page and "<td>–</td>" in page  # NaN shown as a dash, never "nan"
    assert "P(y | do(x)) &lt;- formula &amp; more" in page  # <pre> text is escaped only
    assert "<ol><li>one</li><li>two</li></ol>" in page


def test_markdown_embeds_or_writes_figures(sections, tmp_path):
    md = render_markdown("Plan", sections)
    assert md.startswith("# Plan\n")
    # issue 14 point 9: HTML in any text is escaped in Markdown too (was: raw "<section>")
    assert "## 1. First &lt;section&gt;" in md and "## 2. Second" in md
    assert "<script>" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "| node | power |" in md and "| a\\|b | – |" in md  # pipes in cells escaped
    assert "](data:image/png;base64," in md
    md2 = render_markdown("Plan", sections, figure_dir=tmp_path, link_prefix="figs/")
    assert "](figs/figure-1.png)" in md2
    assert (tmp_path / "figure-1.png").read_bytes().startswith(b"\x89PNG")
    assert "> **Note.** careful" in md2 and "1. one\n2. two" in md2


def test_blocks_validate():
    with pytest.raises(FacmechError, match="PNG"):
        Figure(b"GIF89a", "x")
    with pytest.raises(FacmechError, match="2 cells; the header has 3"):
        Table(("a", "b", "c"), (("1", "2"),))
    assert format_cell(float("inf")) == "–" and format_cell(("a", "b")) == "a, b"
    assert format_cell(()) == "(none)"


def test_figure_from_matplotlib_closes_figure():
    n = len(plt.get_fignums())
    fig = plt.figure()
    f = Figure.from_matplotlib(fig, caption="c")
    assert len(plt.get_fignums()) == n
    assert f.alt == "c" and io.BytesIO(f.png).read(4) == b"\x89PNG"
