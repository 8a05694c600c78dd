"""The sections of an analysis-plan report, each built from computed results.

Every builder is a pure function: results in, a :class:`~facmech.report.document.Section` out. They
hold the wording of the plan; the numbers come from the library (identification, power, mediation).

>>> from facmech.formats import load_map
>>> s = hypothesis_section(load_map(), ("facilitation", "champions", "normalization", "uptake"),
...                        design="stepped-wedge", sites=(12, 24))
>>> s.blocks[1].rows[0][:3]
('healthcare facilitation', 'champions / internal facilitators', '#3')
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
from facmech.report.labels import NodeNames, sentence_case
from facmech.report.power_curve import PowerCurve

__all__ = [
    "hypothesis_section",
    "identification_section",
    "implications_section",
    "map_section",
    "map_title",
    "measurement_section",
    "plain_verdict",
    "power_section",
    "reproducibility_section",
]


def map_title(mmap: MechanismMap) -> str:
    """The map's title, or a description when the map has none (e.g. a dagitty file)."""
    return mmap.title or f"user map with {len(mmap.nodes)} nodes"


def hypothesis_section(
    mmap: MechanismMap, path: Sequence[str], *, design: str, sites: Sequence[int]
) -> Section:
    """The question: which mechanism, in which map, with how much support per link."""
    names = NodeNames(mmap)
    rows = []
    graph = mmap.to_networkx()
    for src, tgt in itertools.pairwise(path):
        a, b = names.name(src), names.name(tgt)
        if not graph.has_edge(src, tgt):  # waypoints: the segment is every directed path between
            from facmech.graphs import count_directed_paths

            n = count_directed_paths(graph, src, tgt)
            rows.append((a, b, f"waypoints ({n} directed path{'s' * (n != 1)})", "–", "–", "–"))
            continue
        edge = mmap.edge(src, tgt, lag=0)
        rows.append((
            a, b, "–" if edge.arrow is None else f"#{edge.arrow}",
            str(edge.confidence), edge.provenance.value, str(len(edge.evidence)),
        ))
    weakest = [r for r in rows if r[3].startswith("L")]
    blocks: list = [
        Paragraph(
            f"**Hypothesis.** The strategy, {names.name(path[0])}, changes {names.name(path[-1])} "
            f"through the chain {names.chain(path)} of the map \"{map_title(mmap)}\". The plan "
            f"asks whether this path-specific effect can be identified from what the trial "
            f"measures, what to measure and when, how to estimate it, and how many sites a "
            f"{design} trial needs (considered: {', '.join(map(str, sites))} sites)."
        ),
        Table(("from", "to", "arrow", "confidence", "provenance", "quotes"), tuple(rows),
              caption="Links of the hypothesized path, as the map records them."),
    ]
    if weakest:
        links = "; ".join(f"{r[0]} → {r[1]} ({r[3]})" for r in weakest)
        blocks.append(Callout(
            f"The map has low confidence in {'this link' if len(weakest) == 1 else 'these links'}"
            f": {links}. The path stands or falls with "
            f"{'it' if len(weakest) == 1 else 'them'}; the identification and the estimates below "
            "assume the links exist as drawn.",
            CalloutKind.WARN, "Weakest links."))
    return Section("hypothesis", "Hypothesis", tuple(blocks))


def map_section(mmap: MechanismMap, figure: Figure, path: Sequence[str]) -> Section:
    """The map with the hypothesized path highlighted."""
    names = NodeNames(mmap)
    latent = [n for n in mmap.latent_ids]
    text = (
        f"The map has {len(mmap.nodes)} nodes and {len(mmap.edges)} arrows "
        f"({sum(e.lag == 1 for e in mmap.edges)} lagged from one period to the next). "
        f"The hypothesized path is highlighted. "
    )
    if latent:
        text += f"Constructs the trial does not measure (latent): {names.names(latent)}."
    return Section("map", "Mechanism map", (Paragraph(text), figure))


def _sets(sets: Sequence[Sequence[str]], names: NodeNames | None = None) -> str:
    if not sets:
        return "(none)"
    nm = names.name if names is not None else str
    return "; ".join("{" + ", ".join(nm(v) for v in s) + "}" if s else "{} (no adjustment needed)"
                     for s in sets)


def plain_verdict(ident, names: NodeNames) -> str:
    """The verdict in plain words, before any formula.

    "Identified: adjust for organizational readiness." / "Not identified: leadership engagement
    is changed by healthcare facilitation and passes that change on both along the path and
    outside it, so ...".
    """
    x, y = names.name(ident.treatment), names.name(ident.outcome)
    if ident.identifiable:
        if ident.adjustment_sets:
            z = ident.adjustment_sets[0]
            how = (f"adjust for {names.names(z)}" if z else
                   f"compare {'sites' if ident.effect.value == 'total' else 'arms'} as randomized; "
                   "no adjustment is needed")
            return f"Identified: {how}."
        strategy = str(ident.strategy)
        if strategy == "frontdoor":
            return (f"Identified through the mechanisms that carry the whole effect (front-door "
                    f"criterion): {names.names(ident.frontdoor_sets[0])}.")
        return (f"Identified from what the trial measures: the effect of {x} on {y} along this "
                "path has an identifying formula (below).")
    if ident.witness and not ident.witness.startswith("recanting district"):
        w = names.name(ident.witness)
        return (f"Not identified: {w} is changed by {x} and passes that change on both along the "
                f"hypothesized path and along other routes to {y}, so the trial's data cannot "
                f"separate the path's share from the rest (a recanting witness). The quantities "
                "that can be estimated instead are listed below.")
    if ident.witness:
        return (f"Not identified: unmeasured common causes tie a construct on the path to one "
                f"off it ({names.prose(ident.witness)}), so the path's share of the effect of {x} "
                f"on {y} cannot be separated from the rest.")
    return "Not identified from what the trial measures: " + names.prose(ident.reason or "") + "."


def _verdict(ident, names: NodeNames) -> list:
    kind = CalloutKind.OK if ident.identifiable else CalloutKind.WARN
    title = "Identified." if ident.identifiable else "Not identified."
    text = sentence_case(plain_verdict(ident, names).split(": ", 1)[1])
    if ident.effect.value == "total":  # the path is named in the hypothesis; the total is not
        text = f"{sentence_case(names.prose(ident.query))}: {text[:1].lower()}{text[1:]}"
    out: list = [Callout(text, kind, title)]
    if not ident.identifiable and ident.reason:
        out.append(Paragraph(f"**Why, in the graph's terms.** {sentence_case(names.prose(ident.reason))}."))
    return out


def _folded(text: str, summary: str) -> Code:
    return Code(text, summary=summary)


def identification_section(
    path_id, total_id, paths: pd.DataFrame | None = None, variants: pd.DataFrame | None = None,
    *, names: NodeNames | None = None,
) -> Section:
    """Verdicts (in plain words first), estimands (folded) and assumptions for the path and the
    total effect."""
    names = names or NodeNames()
    blocks: list = _verdict(path_id, names)
    if path_id.estimand:
        blocks.append(_folded(path_id.estimand, "Identifying formula (estimand)"))
    if path_id.alternatives:
        blocks.append(Paragraph("**What is identified instead:**"))
        for a in path_id.alternatives:
            blocks.append(Paragraph(f"{sentence_case(names.prose(a.name))}: "
                                    f"{names.prose(a.status)}."))
            text = "\n".join(t for t in (a.estimand, a.note.replace("; ", ";\n")) if t)
            if text:
                blocks.append(_folded(text, "Formula"))
    if path_id.assumptions:
        blocks += [Paragraph("Assumptions the path analysis rests on:"),
                   Bullets(tuple(names.prose(t.text) for t in path_id.assumptions))]
    blocks += _verdict(total_id, names)
    blocks.append(Paragraph(
        f"Minimal adjustment sets for the total effect: {_sets(total_id.adjustment_sets, names)} "
        f"(strategy {total_id.strategy or '–'})."))
    if total_id.estimand:
        blocks.append(_folded(total_id.estimand, "Identifying formula (estimand)"))
    if total_id.assumptions:
        blocks.append(Bullets(tuple(names.prose(t.text) for t in total_id.assumptions)))
    if paths is not None and not paths.empty:
        shown = paths.copy()
        if "query" in shown:
            shown["query"] = [names.prose(q).replace(" -> ", " → ").replace(" => ", " ⇒ ")
                              for q in shown["query"]]
        if "witness" in shown:
            shown["witness"] = [None if w is None else names.prose(w) for w in shown["witness"]]
        blocks.append(Table.from_frame(shown, caption="Every directed path from the treatment to "
                                       "the outcome in the map, and whether its effect is identified."))
    if variants is not None and not variants.empty:
        blocks.append(Table.from_frame(variants, caption="The same question across plausible "
                                       "variants of the map (uncertain arrows dropped or reversed)."))
    return Section("identification", "Identification", tuple(blocks))


def measurement_section(schedule: pd.DataFrame, note: str | Sequence[str] = "", *,
                        names: NodeNames | None = None) -> Section:
    """What must be measured, with suggested instruments, and when.

    ``note`` is the measurement plan's advice (:meth:`MeasurementPlan.advice
    <facmech.identification.MeasurementPlan.advice>`): its first sentence is the verdict, the
    others are listed below it.
    """
    names = names or NodeNames()
    blocks: list = [Paragraph(
        "Every construct the analysis needs, the instrument the map suggests for it, and when to "
        "measure it. Site-level constructs are usually staff-survey means per site (and period); "
        "the data column of each is its map id.")]
    sentences = [note] if isinstance(note, str) else list(note)
    sentences = [names.prose(t) for t in sentences if t]
    if sentences:
        text = " ".join(sentences)
        kind = CalloutKind.WARN if "must" in text or "impossible" in text else CalloutKind.INFO
        blocks.append(Callout(sentence_case(sentences[0]), kind, "Measurement plan."))
        if sentences[1:]:
            blocks.append(Bullets(tuple(sentences[1:])))
    table = schedule.assign(construct=[names.name(n) for n in schedule["node"]])
    cols = ["construct", "node", "role", "level", "when", "instruments", "status", "why"]
    blocks.append(Table.from_frame(table[cols].rename(columns={"node": "column"})))
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
            f"the measured nodes (the notation `X _||_ Y | Z` reads X is independent of Y given Z; "
            f"the names are the data columns). Each is testable with the trial's data; a clear "
            f"violation falsifies the map."),
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
