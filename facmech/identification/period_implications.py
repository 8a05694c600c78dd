r"""Testable implications of a mechanism map on period data: the map unrolled over the data's periods.

A trial measures its mechanisms in site-periods (a staff survey per site and period, patient records
per period), while a mechanism map is drawn for one period with lag-1 arrows between periods (the
leadership engagement -> facilitation feedback). What the map implies about such data is what the
map *unrolled over the data's periods* implies: a DAG :math:`G_T` with one copy ``x_t{k}`` of every
period-varying node per period, the lag-0 arrows within each period, the lag-1 arrows from period
:math:`k` to :math:`k+1`, and the baseline (site-level) nodes once (:func:`facmech.unroll`).

:func:`period_graph` builds :math:`G_T` for the data at hand:

* a node is *period-varying* when the map says so, when its column varies within sites across
  periods, when it is an unmeasured mechanism downstream of a period-varying node, or when it lies
  on a directed path between two period-varying nodes (else the map would not unroll);
* the **design** is a site-level node (the site's sequence of design cells, e.g. its stepped-wedge
  step) pointing into the strategy node in every period (:class:`PeriodDesign`): a randomized design
  is a root, an adaptive one (a SMART re-randomizing non-responders) depends on the nodes its rule
  reads. With no design given, an unmeasured site-level schedule points into the strategy in every
  period (a dose that follows a rollout no column records);
* every patient-level node gets an unmeasured site effect shared across periods (the intra-cluster
  correlation of patient outcomes, which a map does not draw).

:func:`period_implications` then lists, for every pair of measured nodes in the same period or at
most the map's largest lag apart (``x[t-1]`` and ``y[t]``) and every period, one set of measured
nodes of :math:`G_T` that d-separates them: the cheapest vertex cut of the moral graph of their
ancestors (Lauritzen et al. 1990), where a node measured with error costs more than any number of
error-free ones, an earlier period a little more than a later one, and latent nodes cannot be cut. So
a claim is tested given error-free nodes whenever the map allows it. Conditioning on a root design
node only blocks paths, so it joins every set. Periods whose sets coincide relative to the period
(``leadership_engagement[t-1]``) are pooled into one claim: one test per pair, which keeps the
family (and its Holm adjustment) small (one claim per non-adjacent pair as Shipley's 2000 basis set,
here per lag and per group of periods). Lagged nodes that do not exist in an early period are
dropped there; the claim is pooled only over the periods where the remaining set still separates.

>>> from facmech import load_map
>>> imps = period_implications(load_map(), 5, design=PeriodDesign(columns=("step",)))
>>> [str(m) for m in imps if m.x.node == "outer_context" and m.y.node == "facilitation"]
['outer_context _||_ facilitation[t] | design, leadership_engagement[t-1]']
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from facmech.errors import ArgumentError, MapError, UnknownNodeError, closest

__all__ = [
    "DESIGN_NODE",
    "PeriodDesign",
    "PeriodGraph",
    "PeriodImplication",
    "TimedNode",
    "period_graph",
    "period_implications",
]

#: Name of the design node in :math:`G_T` (and in the claims).
DESIGN_NODE = "design"
#: Cost of a conditioning node measured with error: more than any number of error-free ones.
_ERROR_COST = 10_000.0
#: Extra cost per period of lag (prefer the latest measurements).
_LAG_COST = 0.001
#: Cost of an adaptive (non-root) design node in a separating set.
_DESIGN_COST = 0.5


@dataclass(frozen=True, order=True)
class TimedNode:
    """A node of the map at a period relative to the claim's period ``t``.

    ``lag`` is 0 for ``node[t]``, 1 for ``node[t-1]``; ``None`` for a site-level node (baseline
    context, the design, a node measured once).

    >>> str(TimedNode("trust", 1)), str(TimedNode("outer_context"))
    ('trust[t-1]', 'outer_context')
    """

    node: str
    lag: int | None = None

    def __str__(self) -> str:
        if self.lag is None:
            return self.node
        return f"{self.node}[t]" if self.lag == 0 else f"{self.node}[t-{self.lag}]"

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "lag": self.lag}


@dataclass(frozen=True)
class PeriodImplication:
    """``x _||_ y | given`` in every period of ``periods`` (0-based period indices).

    ``error_prone`` lists the nodes of ``given`` that are measured with error: the claim holds for
    the true constructs, so a test on their survey means needs the measurement correction.
    """

    x: TimedNode
    y: TimedNode
    given: tuple[TimedNode, ...]
    periods: tuple[int, ...]
    error_prone: tuple[TimedNode, ...] = ()

    def __str__(self) -> str:
        return f"{self.x} _||_ {self.y}" + (
            f" | {', '.join(map(str, self.given))}" if self.given else "")

    def to_dict(self) -> dict[str, Any]:
        return {"x": str(self.x), "y": str(self.y), "given": [str(g) for g in self.given],
                "periods": list(self.periods), "error_prone": [str(g) for g in self.error_prone]}


@dataclass(frozen=True)
class PeriodDesign:
    """The trial design as a node of the unrolled map.

    Parameters
    ----------
    columns : tuple of str
        Data columns holding the design (site or site-period level): a site's sequence of their
        values over the periods is its design cell (a stepped-wedge ``step``; a SMART ``arm``).
    acts_on : tuple of str
        Map nodes the design sets (default: the map's strategy nodes); a SMART's internal
        facilitator also acts on ``champions``.
    depends_on : tuple of (str, int)
        For an adaptive design, the ``(node, period index)`` its rule reads (a SMART's response
        node at the end of stage 1); empty for a randomized design (a root). An adaptive design
        acts on its targets from the period after the last one it reads.

    >>> PeriodDesign(columns=("arm",), acts_on=("facilitation", "champions"),
    ...              depends_on=(("uptake", 1),)).adaptive
    True
    """

    columns: tuple[str, ...]
    acts_on: tuple[str, ...] = ()
    depends_on: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for name in ("columns", "acts_on"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            value = tuple(value)
            if not all(isinstance(v, str) and v for v in value):
                raise ArgumentError(f"`design.{name}` must be column or node names (got {value!r})")
            object.__setattr__(self, name, value)
        if not self.columns:
            raise ArgumentError("`design.columns` must name at least one design column")
        deps = []
        for item in self.depends_on:
            if (not isinstance(item, (tuple, list)) or len(item) != 2
                    or not isinstance(item[0], str) or isinstance(item[1], bool)
                    or not isinstance(item[1], int) or item[1] < 0):
                raise ArgumentError(
                    f"`design.depends_on` entries must be (node, period index >= 0) pairs (got "
                    f"{item!r})")
            deps.append((item[0], int(item[1])))
        object.__setattr__(self, "depends_on", tuple(deps))

    @property
    def adaptive(self) -> bool:
        """Whether the design depends on trial data (not a root of the unrolled map)."""
        return bool(self.depends_on)


@dataclass(frozen=True, eq=False)
class PeriodGraph:
    """:math:`G_T`: the map unrolled over ``periods`` periods with the design and site effects.

    ``timed`` maps each node id of ``dag`` to ``(base node, period)`` (period ``None`` for
    site-level nodes); ``latent`` are its unmeasured nodes; ``periodic`` the period-varying base
    nodes; ``max_lag`` the map's largest lag.
    """

    dag: nx.DiGraph
    latent: frozenset[str]
    timed: Mapping[str, tuple[str, int | None]]
    periods: int
    periodic: frozenset[str]
    max_lag: int
    design: PeriodDesign | None = None
    copies: Mapping[tuple[str, int | None], str] = field(default_factory=dict)

    @property
    def design_is_root(self) -> bool:
        return self.design is not None and not self.design.adaptive

    def node_id(self, node: str, period: int | None) -> str | None:
        """The id in ``dag`` of ``node`` at ``period`` (``None`` if there is none)."""
        if node not in self.periodic:
            return self.copies.get((node, None))
        return self.copies.get((node, period)) if period is not None and period >= 0 else None


def _as_map(graph: Any) -> Any:
    from facmech.maps import MechanismMap

    if isinstance(graph, MechanismMap):
        mmap = graph
    elif isinstance(graph, nx.DiGraph):
        mmap = MechanismMap.from_networkx(graph)
    else:
        raise ArgumentError(
            f"`graph` must be a MechanismMap or a networkx DiGraph (got {type(graph).__name__})")
    if mmap.is_unrolled:
        raise MapError(
            f"`graph` is already unrolled over {mmap.periods} periods; give the raw map: the tests "
            "on period data unroll it over the data's periods")
    return mmap


def _check_names(names: Iterable[str], known: Sequence[str], argument: str) -> tuple[str, ...]:
    out = []
    for n in names:
        if n not in known:
            raise UnknownNodeError(f"`{argument}`: unknown node {n!r}.{closest(str(n), known)}")
        out.append(n)
    return tuple(out)


def _periodic_nodes(mmap: Any, varying: set[str], latent: set[str]) -> set[str]:
    from facmech.maps import Role

    full = mmap.to_networkx(include_lagged=True)
    tv = {n.id for n in mmap.nodes if n.time_varying} | varying
    for n in mmap.nodes:  # unmeasured mechanisms downstream of period-varying nodes vary with them
        if n.id in latent and n.role != Role.CONTEXT and nx.ancestors(full, n.id) & tv:
            tv.add(n.id)
    down = set().union(*(nx.descendants(full, t) for t in tv)) if tv else set()
    up = set().union(*(nx.ancestors(full, t) for t in tv)) if tv else set()
    return tv | (down & up)


def period_graph(
    graph: Any,
    periods: int,
    *,
    varying: Iterable[str] = (),
    design: PeriodDesign | None = None,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> PeriodGraph:
    """The map unrolled over ``periods`` periods, with the design and the outcomes' site effects.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
        The raw map (edges with a ``lag`` attribute; not unrolled).
    periods : int
        Number of periods of the data.
    varying : iterable of str
        Measured nodes whose values vary within sites across periods (on top of the map's
        ``time_varying`` nodes).
    design : PeriodDesign, optional
        The design node; ``None`` adds an unmeasured site-level schedule into the strategy nodes.
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`.
    """
    from facmech.maps import Level, Role
    from facmech.maps.unrolling import period_id, unroll

    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        raise ArgumentError(f"`periods` must be an integer >= 1 (got {periods!r})")
    mmap = _as_map(graph)
    ids = list(mmap.node_ids)
    hidden = set(mmap.latent_ids)
    if observed is not None:
        hidden = set(ids) - set(_check_names(_names(observed), ids, "observed"))
    if latent is not None:
        hidden |= set(_check_names(_names(latent), ids, "latent"))
    varying = set(_check_names(varying, ids, "varying"))
    tv = _periodic_nodes(mmap, varying, hidden)
    flagged = replace(mmap, nodes=tuple(
        replace(n, time_varying=n.id in tv, observed=n.id not in hidden) for n in mmap.nodes))
    unrolled = unroll(flagged, periods)
    dag = nx.DiGraph()
    timed: dict[str, tuple[str, int | None]] = {}
    for n in unrolled.nodes:
        dag.add_node(n.id)
        timed[n.id] = (n.base, n.period) if n.base is not None else (n.id, None)
    dag.add_edges_from((e.source, e.target) for e in unrolled.edges)
    lat = {n.id for n in unrolled.nodes if not n.observed}
    copies = {v: k for k, v in timed.items()}

    def copies_of(node: str) -> list[str]:
        return [period_id(node, k) for k in range(periods)] if node in tv else [node]

    strategy = [n.id for n in mmap.nodes if n.role == Role.STRATEGY]
    if design is not None:
        if not isinstance(design, PeriodDesign):
            raise ArgumentError(f"`design` must be a PeriodDesign (got {type(design).__name__})")
        if DESIGN_NODE in ids:
            raise MapError(f"the map has a node named {DESIGN_NODE!r}, the name of the design node")
        targets = _check_names(design.acts_on, ids, "design.acts_on") or tuple(strategy)
        if not targets:
            raise ArgumentError("`design.acts_on` is required: the map has no strategy node")
        dag.add_node(DESIGN_NODE)
        timed[DESIGN_NODE] = (DESIGN_NODE, None)
        copies[(DESIGN_NODE, None)] = DESIGN_NODE
        after = -1  # an adaptive design acts from the period after the last one it reads
        for node, k in design.depends_on:
            _check_names([node], ids, "design.depends_on")
            if node in tv and k >= periods:
                raise ArgumentError(f"`design.depends_on`: period {k} of {node!r} is not in the "
                                    f"data's {periods} periods")
            dag.add_edge(period_id(node, k) if node in tv else node, DESIGN_NODE)
            after = max(after, k if node in tv else periods)
        for t in targets:
            dag.add_edges_from((DESIGN_NODE, c) for k, c in enumerate(copies_of(t))
                               if t not in tv or k > after)
    elif periods > 1 and strategy:
        dag.add_node("schedule")
        lat.add("schedule")
        for s in strategy:
            dag.add_edges_from(("schedule", c) for c in copies_of(s))
    if periods > 1:
        for n in mmap.nodes:
            if n.level == Level.PATIENT and n.id in tv:
                root = f"site_effect({n.id})"
                lat.add(root)
                dag.add_edges_from((root, c) for c in copies_of(n.id))
    if not nx.is_directed_acyclic_graph(dag):
        cycle = [u for u, _ in nx.find_cycle(dag)]
        raise MapError(f"the design makes the unrolled map cyclic: {' -> '.join(cycle)}")
    max_lag = max((e.lag for e in mmap.edges), default=0)
    return PeriodGraph(dag=dag, latent=frozenset(lat), timed=timed, periods=periods,
                       periodic=frozenset(tv), max_lag=max_lag, design=design, copies=copies)


def _names(value: Iterable[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


class _Moral:
    """Parent sets of a DAG, for fast ancestral-moral-graph separation on small graphs."""

    def __init__(self, dag: nx.DiGraph):
        self.parents = {v: tuple(dag.predecessors(v)) for v in dag.nodes}

    def ancestors(self, nodes: Iterable[str]) -> set[str]:
        seen = set(nodes)
        stack = list(seen)
        while stack:
            for p in self.parents[stack.pop()]:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def moral(self, nodes: set[str]) -> dict[str, set[str]]:
        """Adjacency of the moral graph of the (ancestral) node set ``nodes``."""
        adj: dict[str, set[str]] = {v: set() for v in nodes}
        for v in nodes:
            ps = self.parents[v]
            for i, p in enumerate(ps):
                adj[v].add(p)
                adj[p].add(v)
                for q in ps[i + 1:]:
                    adj[p].add(q)
                    adj[q].add(p)
        return adj

    def separated(self, x: str, y: str, z: frozenset[str] | set[str]) -> bool:
        """Whether ``z`` d-separates ``x`` and ``y`` (Lauritzen et al. 1990: separation in the
        moral graph of the ancestors of ``{x, y} | z``)."""
        adj = self.moral(self.ancestors([x, y, *z]))
        seen = {x}
        stack = [x]
        while stack:
            for w in adj[stack.pop()]:
                if w == y:
                    return False
                if w not in seen and w not in z:
                    seen.add(w)
                    stack.append(w)
        return True

    def cheapest_separator(self, x: str, y: str, cost: Mapping[str, float]
                           ) -> frozenset[str] | None:
        """Minimum-cost set of nodes with a ``cost`` d-separating ``x`` and ``y`` (``None``: none).

        The cut is taken in the moral graph of the ancestors of ``{x, y}``, which holds every
        minimal separator (Tian, Paz & Pearl 1998); nodes without a cost cannot be cut. Max-flow
        by shortest augmenting paths (Edmonds-Karp) on the node-split graph.
        """
        anc = self.ancestors([x, y])
        adj = self.moral(anc)
        if y in adj[x]:
            return None
        inf = float("inf")
        # node v -> (v, 0) "in" and (v, 1) "out"; residual capacities in a dict of dicts
        cap: dict[tuple[str, int], dict[tuple[str, int], float]] = {}
        for v in anc:
            c = inf if v in (x, y) else cost.get(v, inf)
            cap.setdefault((v, 0), {})[(v, 1)] = c
            cap.setdefault((v, 1), {}).setdefault((v, 0), 0.0)
            for w in adj[v]:
                cap[(v, 1)][(w, 0)] = inf
                cap.setdefault((w, 0), {}).setdefault((v, 1), 0.0)
        source, sink = (x, 1), (y, 0)
        total = 0.0
        while True:
            prev = {source: None}
            queue = [source]
            for u in queue:
                if sink in prev:
                    break
                for w, r in cap[u].items():
                    if r > 0 and w not in prev:
                        prev[w] = u
                        queue.append(w)
            if sink not in prev:
                break
            path, w = [], sink
            while prev[w] is not None:
                path.append((prev[w], w))
                w = prev[w]
            push = min(cap[u][w] for u, w in path)
            if push == inf:
                return None
            for u, w in path:
                cap[u][w] -= push
                cap[w][u] += push
            total += push
        reach = set(prev)
        return frozenset(v for v in anc if (v, 0) in reach and (v, 1) not in reach)


def period_implications(
    graph: Any,
    periods: int,
    *,
    varying: Iterable[str] = (),
    design: PeriodDesign | None = None,
    error_prone: Iterable[str] = (),
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> tuple[PeriodImplication, ...]:
    """One testable claim per pair of measured nodes (and lag, and group of periods) of
    :func:`period_graph` (see the module docstring).

    ``error_prone`` names the measured nodes whose data are survey means (measured with error):
    sets without them are preferred, and each claim lists those it needs.
    """
    pg = period_graph(graph, periods, varying=tuple(varying), design=design, observed=observed,
                      latent=latent)
    noisy = frozenset(error_prone)
    return _implications_cached(pg, noisy)


def _implications_cached(pg: PeriodGraph, noisy: frozenset[str]) -> tuple[PeriodImplication, ...]:
    key = (tuple(sorted(pg.dag.edges)), tuple(sorted(pg.dag.nodes)), pg.latent, pg.periods,
           pg.periodic, pg.max_lag, pg.design_is_root, noisy)
    return _implications_for(key, _Holder(pg))


class _Holder:
    """Carries the graph into the cache without making it part of the key."""

    def __init__(self, pg: PeriodGraph):
        self.pg = pg

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Holder)


@functools.lru_cache(maxsize=32)
def _implications_for(key: tuple, holder: _Holder) -> tuple[PeriodImplication, ...]:
    pg = holder.pg
    noisy = key[-1]
    dag, T = pg.dag, pg.periods
    observed = [v for v in dag.nodes if v not in pg.latent]
    base_obs = sorted({pg.timed[v][0] for v in observed} - {DESIGN_NODE})
    root_design = pg.design_is_root
    moral = _Moral(dag)

    def cost(v: str, t: int, window: int) -> float | None:
        base, k = pg.timed[v]
        if base == DESIGN_NODE:
            return 0.0 if root_design else _DESIGN_COST
        if k is not None and t - k > window:
            return None  # outside the window: cannot be conditioned on
        c = 1.0 + (_LAG_COST * (t - k) if k is not None else 0.0)
        return c + (_ERROR_COST if base in noisy else 0.0)

    def separator(x: str, y: str, t: int, window: int) -> frozenset[str] | None:
        costs = {}
        for v in observed:
            c = cost(v, t, window) if v not in (x, y) else None
            if c is not None:
                costs[v] = c
        s = moral.cheapest_separator(x, y, costs)
        if s is None:
            return None
        if root_design and DESIGN_NODE not in (x, y):
            s = s | {DESIGN_NODE}
        return s

    def relative(v: str, t: int) -> TimedNode:
        base, k = pg.timed[v]
        return TimedNode(base, None if k is None else t - k)

    def instantiate(rel: Iterable[TimedNode], t: int) -> frozenset[str] | None:
        out = set()
        for r in rel:
            v = pg.node_id(r.node, None if r.lag is None else t - r.lag)
            if v is not None:
                out.add(v)
        return frozenset(out)

    claims: list[PeriodImplication] = []
    for xn, yn, lag in _pair_templates(base_obs, pg):
        instances = []  # (t, x id, y id)
        if lag is None:  # two site-level nodes: one claim, on the last period's rows
            instances = [(T - 1, pg.node_id(xn, None), pg.node_id(yn, None))]
        else:
            first = lag if xn in pg.periodic else 0
            for t in range(first, T):
                xv = pg.node_id(xn, t - lag if xn in pg.periodic else None)
                instances.append((t, xv, pg.node_id(yn, t)))
        instances = [(t, a, b) for t, a, b in instances if a is not None and b is not None
                     and not (dag.has_edge(a, b) or dag.has_edge(b, a))]
        groups: dict[tuple[TimedNode, ...], list[int]] = {}
        templates: list[tuple[TimedNode, ...]] = []
        for t, a, b in reversed(instances):  # latest period first: the most history
            chosen = None
            for rel in templates:  # a set already used in a later period, if it still separates
                cand = instantiate(rel, t)
                if moral.separated(a, b, cand):
                    chosen = rel
                    break
            if chosen is None:
                s = separator(a, b, t, (lag or 0) + pg.max_lag)
                if s is None:
                    continue
                chosen = tuple(sorted(relative(v, t) for v in s))
                templates.append(chosen)
            groups.setdefault(chosen, []).append(t)
        if not instances:
            continue
        t0, a0, b0 = instances[-1]
        x_rel, y_rel = relative(a0, t0), relative(b0, t0)
        for rel, ts in groups.items():
            claims.append(PeriodImplication(
                x=x_rel, y=y_rel, given=rel, periods=tuple(sorted(ts)),
                error_prone=tuple(r for r in rel if r.node in noisy)))
    return tuple(claims)


def _pair_templates(nodes: Sequence[str], pg: PeriodGraph
                    ) -> list[tuple[str, str, int | None]]:
    """``(x, y, lag)``: ``x`` at ``t - lag`` and ``y`` at ``t``; lag ``None`` for two site-level
    nodes. Same-period pairs once (in map order), lagged pairs both ways, a node with itself at
    every lag from 1 to the map's largest."""
    out: list[tuple[str, str, int | None]] = []
    periodic = pg.periodic
    lags = range(1, pg.max_lag + 1) if pg.periods > 1 else range(0)
    for i, a in enumerate(nodes):
        for b in nodes[i:]:
            pa, pb = a in periodic, b in periodic
            if a == b:
                out += [(a, a, k) for k in lags] if pa else []
            elif not pa and not pb:
                out.append((a, b, None))
            elif not pa:
                out.append((a, b, 0))
            elif not pb:
                out.append((b, a, 0))
            else:
                out.append((a, b, 0))
                for k in lags:
                    out += [(a, b, k), (b, a, k)]
    return out
