"""What a trial must measure for an analysis plan, with suggested instruments and timing.

The map's nodes carry the instruments that measure them (``Node.measures``, e.g. NoMAD, ORIC, the
Implementation Leadership Scale) and a stage (baseline, strategy, early, middle, late, end). The
schedule lists every node the plan needs (treatment, outcome, mechanisms on the path, adjustment
covariates and the nodes a measurement plan adds) with why it is needed, when to measure it and
whether the map currently marks it as measured.

>>> from facmech.formats import load_map
>>> s = measurement_schedule(load_map(), path=("facilitation", "champions", "normalization", "uptake"))
>>> s[["node", "why"]].head(2).values.tolist()
[['facilitation', 'treatment (strategy dose)'], ['champions', 'mechanism on the path']]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import pandas as pd

from facmech.maps import MechanismMap, Role

__all__ = ["TIMING", "linear_sem_measurement", "measurement_schedule", "timing"]

#: When to measure a node, by the map's ``stage``.
TIMING = {
    "baseline": "baseline, before randomization",
    "strategy": "every period (facilitator time logs)",
    "early": "early: within the first months of facilitation, and at baseline",
    "middle": "mid-implementation, and at baseline",
    "late": "late implementation, and at baseline",
    "end": "end of the implementation period (and after support ends, for sustainment)",
}


def timing(node, *, periodic: bool = False, pre_treatment: bool = False) -> str:
    """The suggested timing of one node.

    ``periodic``: the design measures site-level mechanisms every period (stepped wedge);
    ``pre_treatment``: the node is not affected by the strategy (a baseline confounder), which is
    how nodes of maps without roles or stages (dagitty, DOT) are placed.
    """
    if node.role is Role.CONTEXT or (pre_treatment and node.role is not Role.STRATEGY):
        return TIMING["baseline"]
    if node.time_varying:
        return "every period, before that period's facilitation is decided"
    if periodic and node.role in (Role.MECHANISM, Role.COMPONENT):
        return "every period (staff survey per site-period), starting at baseline"
    if node.stage in TIMING:
        return TIMING[node.stage]
    return ("every period, starting at baseline" if periodic else
            "during implementation, and at baseline")


def measurement_schedule(
    mmap: MechanismMap,
    *,
    path: Sequence[str],
    adjustment: Iterable[str] = (),
    to_measure: Iterable[str] = (),
    periodic: bool = False,
) -> pd.DataFrame:
    """One row per node the plan needs.

    Parameters
    ----------
    mmap : MechanismMap
    path : sequence of str
        The hypothesized path, treatment first and outcome last.
    adjustment : iterable of str
        Covariates of the identifying adjustment set.
    to_measure : iterable of str
        Latent nodes a measurement plan says to measure.
    periodic : bool
        Whether the design measures site-level mechanisms every period (stepped wedge).

    Returns
    -------
    DataFrame
        Columns ``node, label, role, level, when, instruments, status, why``.
    """
    why: dict[str, str] = {}
    path = tuple(path)
    why[path[0]] = "treatment (strategy dose)"
    for node in path[1:-1]:
        why[node] = "mechanism on the path"
    why[path[-1]] = "outcome"
    for node in adjustment:
        why.setdefault(node, "adjustment covariate (confounder)")
    extra = set(to_measure)
    for node in extra:
        why.setdefault(node, "needed for identification")
    affected = nx.descendants(mmap.to_networkx(), path[0]) | {path[0]}
    rows = []
    for node_id, reason in why.items():
        node = mmap.node(node_id)
        if node.observed:
            status = "measured"
        elif node_id in extra:
            status = "latent: add a measure"
        else:
            status = "latent: not measured"
        if node_id in extra and reason != "needed for identification":
            reason += "; needed for identification"
        rows.append(
            {
                "node": node_id,
                "label": node.label or node_id,
                "role": node.role.value,
                "level": node.level.value,
                "when": (TIMING["strategy"] if node_id == path[0] else
                         timing(node, periodic=periodic, pre_treatment=node_id not in affected)),
                "instruments": "; ".join(node.measures) or "(none suggested by the map)",
                "status": status,
                "why": reason,
            }
        )
    return pd.DataFrame(rows, columns=["node", "label", "role", "level", "when", "instruments",
                                       "status", "why"])


def linear_sem_measurement(mmap: MechanismMap, identification: Any) -> tuple[str, ...] | None:
    """The unmeasured nodes the linear-structural-model answer for a path relies on.

    When a path has a recanting witness, no measurement identifies it nonparametrically; the
    identification engine then reports, among the alternatives, the path as the product of its
    coefficients under a linear structural model without interactions, with the regressions that
    identify each coefficient (single-door sets, which may include nodes the map marks unmeasured).
    This returns those unmeasured nodes in map order (``()`` when none is needed), or ``None`` when
    the linear answer is not identified either. :class:`~facmech.identification.MeasurementPlan`
    (``linear_measure``, ``recommended``, ``advice()``) carries the same answer with the rest of
    what to measure; this function is kept for callers holding only an identification.

    >>> from facmech.identification import identify
    >>> from facmech.formats import load_map
    >>> m = load_map()
    >>> path = ["facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
    ...         "capacity", "trust", "normalization", "uptake"]
    >>> linear_sem_measurement(m, identify(m, "facilitation", "uptake", effect="path", path=path))
    ('socialization', 'peer_experience')
    """
    from facmech.identification.measurement import LINEAR_SEM

    for alt in identification.alternatives:
        if alt.name.startswith(LINEAR_SEM) and alt.identifiable:
            need = set(alt.requires_measuring)
            return tuple(n for n in mmap.node_ids if n in need)
    return None
