"""Render report sections as one self-contained HTML page or as Markdown.

The HTML page carries its CSS inline and its figures as base64 ``data:`` PNG images: it references
nothing outside itself, so it opens offline in any browser and can be mailed as one file. Markdown
output embeds figures the same way unless a figure directory is given, in which case PNG files are
written there and linked relatively (as GitHub renders them).

>>> from facmech.report.document import Paragraph, Section
>>> page = render_html("Plan", [Section("a", "Aims", (Paragraph("Test `trust`."),))])
>>> "<code>trust</code>" in page and "http" not in page.split("<body>")[1]
True
>>> print(render_markdown("Plan", [Section("a", "Aims", (Paragraph("Test `trust`."),))]))
# Plan
<BLANKLINE>
## 1. Aims
<BLANKLINE>
Test `trust`.
<BLANKLINE>
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from facmech.report.document import (
    Block,
    Bullets,
    Callout,
    Code,
    Figure,
    Paragraph,
    Section,
    Table,
)

__all__ = ["REPORT_CLASS", "inline_html", "markdown_table", "markdown_text", "render_html",
           "render_html_fragment", "render_markdown", "scoped_css"]

#: Class of the element that wraps a report shown inside another page (a notebook cell).
REPORT_CLASS = "facmech-report"

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def inline_html(text: str) -> str:
    """Escape ``text`` for HTML and turn ```code``` and ``**bold**`` marks into tags.

    >>> inline_html("a < b and `x_t1` is **key**, path a>b, arrow a -> b")
    'a &lt; b and <code>x_t1</code> is <strong>key</strong>, path a&gt;<wbr>b, arrow a → b'
    """
    out = html.escape(text, quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    # arrows as one glyph (no line break inside "->"); long chains such as path:a>b>c may wrap
    # after each ">" (word break opportunity)
    return out.replace("-&gt;", "\u2192").replace("&gt;", "&gt;<wbr>")


_TICKS = re.compile(r"`+")


def markdown_text(text: str) -> str:
    """Escape ``text`` for Markdown: ``<``, ``>`` and ``&`` become entities outside code spans, so
    labels such as ``<script>`` or ``<img onerror=...>`` read as text, never as raw HTML.

    Code spans are found as CommonMark finds them (a run of backticks closed by the next run of
    the same length; their content is always literal), so a label's own backticks cannot open a
    span the renderer would not see.

    >>> markdown_text("a <b> `c<d>` ``e`` `<script>``")
    'a &lt;b&gt; `c<d>` ``e`` `&lt;script&gt;``'
    """
    out, pos = [], 0
    runs = list(_TICKS.finditer(text))
    k = 0
    while k < len(runs):
        run = runs[k]
        close = next((j for j in range(k + 1, len(runs))
                      if len(runs[j].group()) == len(run.group())), None)
        if close is None:
            k += 1
            continue
        out.append(html.escape(text[pos:run.start()], quote=False))
        out.append(text[run.start():runs[close].end()])
        pos = runs[close].end()
        k = close + 1
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _css() -> str:
    return resources.files("facmech.report").joinpath("report.css").read_text(encoding="utf-8")


_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
#: Page-level selectors that become the wrapper element itself when scoped.
_PAGE = {":root", "html", "body"}


def _scope_selector(sel: str, scope: str) -> str:
    head, _, rest = sel.partition(" ")
    if head in _PAGE:
        return f"{scope} {rest}".rstrip()
    return f"{scope} {sel}"


def _scope_rules(css: str, scope: str) -> str:
    out, i = [], 0
    while True:
        start = css.find("{", i)
        if start < 0:
            break
        prelude = css[i:start].strip()
        depth, end = 1, start + 1
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        body = css[start + 1:end - 1]
        if prelude.startswith("@"):
            out.append(f"{prelude} {{ {_scope_rules(body, scope)} }}")
        else:
            sels = ", ".join(_scope_selector(" ".join(x.split()), scope) for x in prelude.split(","))
            out.append(f"{sels} {{{body}}}")
        i = end
    return "\n".join(out)


def scoped_css(scope: str = f".{REPORT_CLASS}") -> str:
    """The report stylesheet with every rule confined to the elements under ``scope``.

    For a report shown inside another page (a Jupyter notebook): ``:root``, ``html`` and ``body``
    rules apply to the wrapper element itself, every other selector is prefixed, so nothing
    outside the wrapper is restyled.

    >>> rules = scoped_css().splitlines()
    >>> ".facmech-report h1 { font-size: 1.9rem; margin: 0 0 0.3rem; line-height: 1.25; }" in rules
    True
    >>> scoped_css(".r").splitlines()[0]
    '.r { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #b44b1e; --bg-soft: #f5f7fa; }'
    """
    return _scope_rules(_COMMENT.sub("", _css()), scope)


def _block_html(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{inline_html(block.text)}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        items = "".join(f"<li>{inline_html(i)}</li>" for i in block.items)
        return f"<{tag}>{items}</{tag}>"
    if isinstance(block, Callout):
        title = f"<strong>{inline_html(block.title)}</strong> " if block.title else ""
        return f'<div class="callout {block.kind.value}">{title}{inline_html(block.text)}</div>'
    if isinstance(block, Code):
        pre = f"<pre>{html.escape(block.text, quote=False)}</pre>"
        if block.summary:
            return f"<details><summary>{inline_html(block.summary)}</summary>{pre}</details>"
        return pre
    if isinstance(block, Table):
        head = "".join(f"<th>{inline_html(c)}</th>" for c in block.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        cap = f"<caption>{inline_html(block.caption)}</caption>" if block.caption else ""
        return (f'<div class="table"><table>{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>")
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        cap = f"<figcaption>{inline_html(block.caption)}</figcaption>" if block.caption else ""
        alt = html.escape(block.alt, quote=True)
        cls = ' class="wide"' if block.wide else ""
        return f'<figure{cls}><img alt="{alt}" src="data:image/png;base64,{data}">{cap}</figure>'
    raise TypeError(f"unknown report block {type(block).__name__}")


def _main_html(title: str, sections: Sequence[Section], subtitle: str, footer: str) -> str:
    toc = "".join(
        f'<li><a href="#{html.escape(s.id)}">{inline_html(s.title)}</a></li>' for s in sections
    )
    body = []
    for k, s in enumerate(sections, start=1):
        blocks = "\n".join(_block_html(b) for b in s.blocks)
        body.append(
            f'<section id="{html.escape(s.id)}"><h2><span class="num">{k}.</span> '
            f"{inline_html(s.title)}</h2>\n{blocks}\n</section>"
        )
    sub = f'<p class="subtitle">{inline_html(subtitle)}</p>' if subtitle else ""
    foot = f"<footer>{inline_html(footer)}</footer>" if footer else ""
    return (
        f'<main><header><h1>{inline_html(title)}</h1>{sub}</header>\n'
        f'<nav><h2>Contents</h2><ol>{toc}</ol></nav>\n' + "\n".join(body) + f"\n{foot}</main>"
    )


def render_html(
    title: str, sections: Sequence[Section], *, subtitle: str = "", footer: str = ""
) -> str:
    """One self-contained HTML5 page: inline CSS, a table of contents, numbered sections."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_css()}</style></head>\n"
        f"<body>{_main_html(title, sections, subtitle, footer)}</body></html>\n"
    )


def render_html_fragment(
    title: str, sections: Sequence[Section], *, subtitle: str = "", footer: str = ""
) -> str:
    """The report as an HTML fragment for a notebook cell, with its stylesheet scoped to it.

    One ``<div class="facmech-report">`` holding a ``<style>`` (:func:`scoped_css`) and the
    report, so it looks as the saved page does without restyling the rest of the notebook.

    >>> from facmech.report.document import Paragraph, Section
    >>> frag = render_html_fragment("Plan", [Section("a", "Aims", (Paragraph("Hi."),))])
    >>> frag.startswith('<div class="facmech-report"><style>') and frag.endswith("</main></div>")
    True
    """
    return (f'<div class="{REPORT_CLASS}"><style>{scoped_css()}</style>'
            f"{_main_html(title, sections, subtitle, footer)}</div>")


def _md_cell(text: str) -> str:
    return markdown_text(text).replace("|", "\\|").replace("\n", " ")


def _table_md(block: Table) -> str:
    head = "| " + " | ".join(_md_cell(c) for c in block.columns) + " |"
    rule = "|" + "|".join("---" for _ in block.columns) + "|"
    rows = ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in block.rows]
    cap = [f"*{markdown_text(block.caption)}*", ""] if block.caption else []
    return "\n".join([*cap, head, rule, *rows])


def markdown_table(frame: pd.DataFrame, *, digits: int = 3, caption: str = "") -> str:
    """A data frame as a GitHub Markdown table, cells formatted as in reports.

    Floats get ``digits`` decimals, missing values an en dash; the simulation studies write their
    committed result tables with it.

    >>> print(markdown_table(pd.DataFrame({"sites": [12], "power": [0.8123]})))
    | sites | power |
    |---|---|
    | 12 | 0.812 |
    """
    return _table_md(Table.from_frame(frame, digits=digits, caption=caption))


def _fence(text: str) -> str:
    longest = max((len(m.group()) for m in _TICKS.finditer(text)), default=0)
    return "`" * max(3, longest + 1)


def _block_md(block: Block, figure_dir: Path | None, link_prefix: str, counter: list[int]) -> str:
    esc = markdown_text
    if isinstance(block, Paragraph):
        return esc(block.text)
    if isinstance(block, Bullets):
        marks = [f"{k}." if block.ordered else "-" for k in range(1, len(block.items) + 1)]
        return "\n".join(f"{m} {esc(i)}" for m, i in zip(marks, block.items, strict=True))
    if isinstance(block, Callout):
        title = f"**{esc(block.title)}** " if block.title else ""
        return f"> {title}{esc(block.text)}"
    if isinstance(block, Code):
        fence = _fence(block.text)  # longer than any backtick run inside: cannot be closed early
        code = f"{fence}\n{block.text}\n{fence}"
        if block.summary:  # GitHub and most Markdown renderers fold <details>
            return (f"<details><summary>{esc(block.summary)}</summary>\n\n{code}\n\n"
                    "</details>")
        return code
    if isinstance(block, Table):
        return _table_md(block)
    if isinstance(block, Figure):
        counter[0] += 1
        if figure_dir is None:
            src = "data:image/png;base64," + base64.b64encode(block.png).decode("ascii")
        else:
            name = f"figure-{counter[0]}.png"
            (figure_dir / name).write_bytes(block.png)
            src = f"{link_prefix}{name}"
        cap = f"\n\n*Figure {counter[0]}. {esc(block.caption)}*" if block.caption else ""
        alt = esc(block.alt).replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({src}){cap}"
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_markdown(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str = "",
    footer: str = "",
    figure_dir: Path | None = None,
    link_prefix: str = "",
) -> str:
    """Markdown text; figures inline as data URIs, or written to ``figure_dir`` and linked."""
    counter = [0]
    one_line = lambda t: markdown_text(t).replace("\n", " ")  # noqa: E731
    parts = [f"# {one_line(title)}", ""]
    if subtitle:
        parts += [markdown_text(subtitle), ""]
    for k, s in enumerate(sections, start=1):
        parts += [f"## {k}. {one_line(s.title)}", ""]
        for b in s.blocks:
            parts += [_block_md(b, figure_dir, link_prefix, counter), ""]
    if footer:
        parts += ["---", "", markdown_text(footer), ""]
    return "\n".join(parts)
