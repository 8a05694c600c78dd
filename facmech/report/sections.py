"""The sections of an analysis-plan report, each built from computed results.

Every builder is a pure function: results in, a :class:`~facmech.report.document.Section` out. They
hold the wording of the plan; the numbers come from the library (identification, power, mediation).

>>> from facmech.formats import load_map
>>> s = hypothesis_section(load_map(), ("facilitation", "champions", "normalization", "uptake"),
...                        design="stepped-wedge", sites=(12, 24))
>>> s.blocks[1].rows[0][:3]
('facilitation', 'champions', '#3')
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from facmech.maps import MechanismMap
from facmech.report.document import (
    Bullets,
    Callout,
    CalloutKind,
    Code,
    Figure,
    Paragraph,
    Section,
    Table,
)
from facmech.report.power_curve import PowerCurve

__all__ = [
    "hypothesis_section",
    "identification_section",
    "implications_section",
    "map_section",
    "map_title",
    "measurement_section",
    "power_section",
    "reproducibility_section",
]


def map_title(mmap: MechanismMap) -> str:
    """The map's title, or a description when the map has none (e.g. a dagitty file)."""
    return mmap.title or f"user map with {len(mmap.nodes)} nodes"


def _chain(path: Sequence[str]) -> str:
    return " -> ".join(f"`{p}`" for p in path)


def hypothesis_section(
    mmap: MechanismMap, path: Sequence[str], *, design: str, sites: Sequence[int]
) -> Section:
    """The question: which mechanism, in which map, with how much support per link."""
    rows = []
    graph = mmap.to_networkx()
    for src, tgt in itertools.pairwise(path):
        if not graph.has_edge(src, tgt):  # waypoints: the segment is every directed path between
            from facmech.graphs import count_directed_paths

            n = count_directed_paths(graph, src, tgt)
            rows.append((src, tgt, f"waypoints ({n} directed path{'s' * (n != 1)})", "–", "–", "–"))
            continue
        edge = mmap.edge(src, tgt, lag=0)
        rows.append((
            src, tgt, "–" if edge.arrow is None else f"#{edge.arrow}",
            str(edge.confidence), edge.provenance.value, str(len(edge.evidence)),
        ))
    weakest = [r for r in rows if r[3].startswith("L")]
    blocks: list = [
        Paragraph(
            f"**Hypothesis.** The strategy `{path[0]}` changes `{path[-1]}` through the chain "
            f"{_chain(path)} of the map \"{map_title(mmap)}\". The plan asks whether this path-specific "
            f"effect can be identified from what the trial measures, what to measure and when, how to "
            f"estimate it, and how many sites a {design} trial needs (considered: "
            f"{', '.join(map(str, sites))} sites)."
        ),
        Table(("from", "to", "arrow", "confidence", "provenance", "quotes"), tuple(rows),
              caption="Links of the hypothesized path, as the map records them."),
    ]
    if weakest:
        links = ", ".join(f"{r[0]} -> {r[1]} ({r[3]})" for r in weakest)
        blocks.append(Callout(
            f"Links with low confidence in the map: {links}. The path stands or falls with them; "
            f"the identification and the estimate below assume they exist as drawn.",
            CalloutKind.WARN, "Hypothesis on hypothesis."))
    return Section("hypothesis", "Hypothesis", tuple(blocks))


def map_section(mmap: MechanismMap, figure: Figure, path: Sequence[str]) -> Section:
    """The map with the hypothesized path highlighted."""
    latent = [n for n in mmap.latent_ids]
    text = (
        f"The map has {len(mmap.nodes)} nodes and {len(mmap.edges)} arrows "
        f"({sum(e.lag == 1 for e in mmap.edges)} lagged from one period to the next). "
        f"The hypothesized path is highlighted. "
    )
    if latent:
        text += f"Nodes the trial does not measure (latent): {', '.join(f'`{n}`' for n in latent)}."
    return Section("map", "Mechanism map", (Paragraph(text), figure))


def _sets(sets: Sequence[Sequence[str]]) -> str:
    if not sets:
        return "(none)"
    return "; ".join("{" + ", ".join(s) + "}" if s else "{} (no adjustment needed)" for s in sets)


def _verdict(ident) -> list:
    if ident.identifiable:
        return [Callout(f"{ident.query}: identified ({ident.strategy}).", CalloutKind.OK,
                        "Identified.")]
    out: list = [Callout(f"{ident.query}: not identified nonparametrically.", CalloutKind.WARN,
                         "Not identified.")]
    if ident.reason:
        out.append(Paragraph(f"**Why.** {ident.reason[0].upper()}{ident.reason[1:]}."))
    return out


def identification_section(
    path_id, total_id, paths: pd.DataFrame | None = None, variants: pd.DataFrame | None = None
) -> Section:
    """Verdicts, estimands and named assumptions for the path and the total effect."""
    blocks: list = _verdict(path_id)
    if path_id.estimand:
        blocks += [Paragraph("Identifying formula (estimand):"), Code(path_id.estimand)]
    if path_id.witness:
        blocks.append(Paragraph(
            f"Recanting witness: `{path_id.witness}`. The treatment's effect reaches it and leaves "
            f"it both along the path and outside it, so the effect along the path alone cannot be "
            f"separated from the rest without further assumptions (Avin, Shpitser & Pearl 2005; "
            f"with unmeasured confounding, Shpitser & Tchetgen Tchetgen 2016)."))
    if path_id.alternatives:
        blocks.append(Paragraph("**What is identified instead:**"))
        for a in path_id.alternatives:
            blocks.append(Paragraph(f"{a.name}: {a.status}."))
            text = "\n".join(t for t in (a.estimand, a.note.replace("; ", ";\n")) if t)
            if text:
                blocks.append(Code(text))
    if path_id.assumptions:
        blocks += [Paragraph("Assumptions the path analysis rests on:"),
                   Bullets(tuple(a.text for a in path_id.assumptions))]
    blocks += [*_verdict(total_id), Paragraph(
        f"Total effect of `{total_id.treatment}` on `{total_id.outcome}`: strategy "
        f"{total_id.strategy or '–'}; minimal adjustment sets {_sets(total_id.adjustment_sets)}.")]
    if total_id.assumptions:
        blocks.append(Bullets(tuple(a.text for a in total_id.assumptions)))
    if paths is not None and not paths.empty:
        blocks.append(Table.from_frame(paths, caption="Every directed path from the treatment to "
                                       "the outcome in the map, and whether its effect is identified."))
    if variants is not None and not variants.empty:
        blocks.append(Table.from_frame(variants, caption="The same question across plausible "
                                       "variants of the map (uncertain arrows dropped or reversed)."))
    return Section("identification", "Identification", tuple(blocks))


def measurement_section(schedule: pd.DataFrame, note: str = "") -> Section:
    """What must be measured, with suggested instruments, and when."""
    blocks: list = [Paragraph(
        "Every construct the analysis needs, the instrument the map suggests for it, and when to "
        "measure it. Site-level constructs are usually staff-survey means per site (and period).")]
    if note:
        kind = CalloutKind.WARN if "must" in note or "cannot" in note else CalloutKind.INFO
        blocks.append(Callout(note, kind, "Measurement plan."))
    cols = ["node", "role", "level", "when", "instruments", "status", "why"]
    blocks.append(Table.from_frame(schedule[cols]))
    return Section("measurement", "What to measure, and when", tuple(blocks))


def implications_section(
    implications: Sequence[str], *, limit: int = 25, focus: Sequence[str] = ()
) -> Section:
    """The map's testable conditional independencies among measured nodes; those whose two
    variables are both in ``focus`` (the path) are listed first."""
    if focus:
        keys = set(focus)

        def rank(text: str) -> int:
            pair = text.split(" | ")[0].split(" _||_ ")
            return -sum(p.strip() in keys for p in pair)

        implications = sorted(implications, key=rank)
    if not implications:
        return Section("implications", "Testable implications", (Paragraph(
            "The map implies no conditional independence among the measured nodes: it cannot be "
            "falsified by the trial's data alone."),))
    shown = tuple(implications[:limit])
    more = len(implications) - len(shown)
    blocks: list = [
        Paragraph(
            f"If the map is right, these {len(implications)} conditional independencies hold among "
            f"the measured nodes (the notation `X _||_ Y | Z` reads X is independent of Y given Z). "
            f"Each is testable with the trial's data; a clear violation falsifies the map."),
        Bullets(tuple(f"`{i}`" for i in shown)),
    ]
    if more > 0:
        blocks.append(Paragraph(f"... and {more} more (see `facmech implications`)."))
    return Section("implications", "Testable implications", tuple(blocks))


def power_section(curve: PowerCurve, figure: Figure) -> Section:
    """Power against the number of sites for the path and the total effect."""
    a = curve.assumptions
    assume = Table(
        ("assumption", "value"),
        (
            ("effect of the strategy on the first mechanism (a, SD)", f"{a.first_link:g}"),
            ("rest of the path (b, outcome SD per mechanism SD)", f"{a.rest_of_path:g}"),
            ("effect through all other routes (c', outcome SD)", f"{a.other_routes:g}"),
            ("path effect a·b / total effect a·b + c' (SD)", f"{a.path_effect:.3g} / {a.total_effect:.3g}"),
            ("outcome ICC", f"{a.icc:g}"),
            ("patients per site and period", str(a.patients)),
            *((("stepped-wedge steps (periods = steps + 1)", str(a.steps)),)
              if curve.design.value == "stepped-wedge" else ()),
            ("two-sided alpha", f"{a.alpha:g}"),
        ),
        caption="Assumed effect sizes (standardized) and trial dimensions.",
    )
    wide = curve.frame.pivot(index="sites", columns="estimand", values="power").reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={"path": "power: path", "total": "power: total effect"})
    need = []
    for est, label in (("path", "the path"), ("total", "the total effect")):
        n = curve.sites_for(est)
        need.append(f"80% power for {label}: "
                    + (f"{n} sites." if n else "not reached within the sites considered."))
    methods = sorted(set(curve.frame["method"]))
    return Section("power", "Power against the number of sites", (
        assume, figure, Table.from_frame(wide, digits=2), Bullets(tuple(need)),
        Paragraph("Methods: " + "; ".join(methods) + ". The path is powered as one site-level "
                  "mediator whose a-path is the first link and whose b-path is the rest of the path; "
                  "a chain of several estimated links carries more sampling error, so treat the path "
                  "curve as optimistic."),
    ))


def reproducibility_section(lines: Sequence[str]) -> Section:
    """Versions, seed and the call that reproduces the report."""
    return Section("reproduce", "Reproducing this plan", (Code("\n".join(lines)),))
