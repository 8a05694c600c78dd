"""``identify_across_variants``: is an identification conclusion robust to map uncertainty?

A mechanism map is hypothesis on hypothesis: each arrow carries a confidence (L < M < H) and some
arrows an uncertain direction (in the built-in map, capacity -> trust could read trust ->
capacity). The query is repeated over every *variant*: each arrow whose confidence does not reach
``min_confidence`` kept or dropped, each direction-uncertain arrow as drawn or reversed (variants
with a cycle are skipped and counted). The conclusion is *robust* when every variant gives the
same verdict.

>>> from facmech.formats import load_map
>>> rep = identify_across_variants(load_map(), "facilitation", "uptake", min_confidence="M")
>>> rep.robust, rep.n_variants > 1
(True, True)
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from facmech.errors import FacmechError, MapError
from facmech.identification._query import QueryError
from facmech.identification.identify import identify

__all__ = ["VariantReport", "identify_across_variants"]


@dataclass(frozen=True)
class VariantReport:
    """Verdicts of one query over the plausible variants of a map."""

    query: str
    table: pd.DataFrame
    skipped_cyclic: int
    min_confidence: str

    @property
    def n_variants(self) -> int:
        return len(self.table)

    @property
    def identified_in(self) -> int:
        return int(self.table["identifiable"].sum())

    @property
    def robust(self) -> bool:
        """Whether every variant gives the same verdict."""
        return self.table["identifiable"].nunique() <= 1

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "min_confidence": self.min_confidence,
                "n_variants": self.n_variants, "identified_in": self.identified_in,
                "robust": self.robust, "skipped_cyclic": self.skipped_cyclic,
                "variants": self.table.to_dict(orient="records")}

    def summary(self) -> str:
        verdict = "ROBUST" if self.robust else "NOT robust"
        lines = [f"{self.query}: identified in {self.identified_in} of {self.n_variants} map "
                 f"variants (min_confidence={self.min_confidence}"
                 + (f", {self.skipped_cyclic} cyclic variants skipped" if self.skipped_cyclic
                    else "") + f"): {verdict}"]
        if not self.robust:
            bad = self.table[~self.table["identifiable"]].head(5)
            for r in bad.itertuples():
                lines.append(f"  fails when dropped={r.dropped or '-'} reversed={r.reversed or '-'}"
                             f": {r.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>"


def _direction_uncertain(m: Any) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in m.edges if e.direction_uncertain]


def identify_across_variants(
    mechanism_map: Any,
    treatment: str | Sequence[str],
    outcome: str,
    *,
    effect: str = "total",
    mediators: str | Sequence[str] | None = None,
    path: Sequence[Any] | None = None,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
    min_confidence: str = "M",
    reversible: Iterable[tuple[str, str]] | None = None,
    periods: int | None = None,
    max_variants: int = 4096,
) -> VariantReport:
    """Repeat :func:`facmech.identify` over the plausible variants of ``mechanism_map``.

    Parameters
    ----------
    mechanism_map : MechanismMap
        A raw (not unrolled) map with arrow confidences.
    treatment, outcome, effect, mediators, path, observed, latent
        The query, as :func:`facmech.identify`.
    min_confidence : {"L", "M", "H"}
        Arrows whose confidence (upper end) is below this are optional.
    reversible : iterable of (source, target), optional
        Arrows whose direction is uncertain. Default: the map's edges marked
        ``direction_uncertain: true`` (capacity -> trust in the built-in map).
    periods : int, optional
        Unroll each variant over this many periods before asking (for time-varying queries).
    max_variants : int
        Refuse to enumerate more variants than this.

    Returns
    -------
    VariantReport
    """
    from facmech.maps import ConfidenceLevel, MechanismMap

    if not isinstance(mechanism_map, MechanismMap):
        raise FacmechError("`mechanism_map` must be a MechanismMap with arrow confidences (got "
                           f"{type(mechanism_map).__name__}); load one with facmech.load_map")
    if mechanism_map.periods is not None:
        raise FacmechError("`mechanism_map` is already unrolled; pass the raw map and `periods`")
    level = ConfidenceLevel.parse(min_confidence, argument="min_confidence")
    rev = list(_direction_uncertain(mechanism_map) if reversible is None else reversible)
    for s, t in rev:
        mechanism_map.edge(s, t)  # raises on unknown edges
    rev_set = set(rev)
    optional = [e for e in mechanism_map.edges
                if not e.confidence.meets(level) and (e.source, e.target) not in rev_set]
    n = 2 ** (len(optional) + len(rev))
    if n > max_variants:
        raise QueryError(
            f"{n} variants ({len(optional)} arrows below {level} and {len(rev)} reversible) exceed "
            f"`max_variants`={max_variants}; raise min_confidence or max_variants")
    rows = []
    skipped = 0
    for drops in itertools.product((False, True), repeat=len(optional)):
        for flips in itertools.product((False, True), repeat=len(rev)):
            dropped = {(e.source, e.target) for e, d in zip(optional, drops, strict=True) if d}
            flipped = {st for st, f in zip(rev, flips, strict=True) if f}
            edges = []
            for e in mechanism_map.edges:
                key = (e.source, e.target)
                if key in dropped:
                    continue
                edges.append(replace(e, source=e.target, target=e.source) if key in flipped
                             else e)
            try:
                variant = mechanism_map.with_edges(edges)
                if periods is not None:
                    variant = variant.unroll(periods)
            except MapError:
                skipped += 1
                continue
            label_d = "; ".join(f"{a}->{b}" for a, b in sorted(dropped))
            label_r = "; ".join(f"{a}->{b}" for a, b in sorted(flipped))
            try:
                res = identify(variant, treatment, outcome, effect=effect, mediators=mediators,
                               path=path, observed=observed, latent=latent)
            except QueryError as exc:  # e.g. the path or a mediator is gone in this variant
                rows.append({"dropped": label_d, "reversed": label_r, "identifiable": False,
                             "strategy": None, "estimand": "", "reason": str(exc),
                             "witness": None})
                continue
            rows.append({"dropped": label_d, "reversed": label_r,
                         "identifiable": res.identifiable,
                         "strategy": None if res.strategy is None else res.strategy.value,
                         "estimand": res.estimand, "reason": res.reason, "witness": res.witness})
    if not rows:
        raise QueryError("every variant of the map is cyclic; nothing to compare")
    names = treatment if isinstance(treatment, str) else ", ".join(treatment)
    query = f"{effect} effect of {names} on {outcome}"
    if mediators:
        query += " via " + (mediators if isinstance(mediators, str) else ", ".join(mediators))
    return VariantReport(query, pd.DataFrame.from_records(rows), skipped, str(level))
