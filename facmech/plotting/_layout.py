"""Layered (Sugiyama-style) layout of a mechanism map, left to right, with no matplotlib.

1. **Columns.** Nodes are layered left to right by *group* (on unrolled maps: baseline nodes,
   then each period, then end nodes), then by *stage* (``baseline, strategy, early, middle,
   late, end``), then by the edges: every lag-0 edge points at least one column to the right.
   When some node has no known stage, or the stages contradict the edges, the stage is dropped
   and the layering is the longest-path layering of the DAG.
2. **Dummies.** An edge spanning several columns gets a dummy point in each column it crosses, so
   it is routed between the boxes instead of through them.
3. **Order.** Barycentre sweeps (down and up, keeping the order with fewest crossings).
4. **Coordinates.** Columns are spaced by their widest box; within a column, items are pulled
   towards the mean height of their neighbours, subject to the gaps between them (an isotonic
   regression, solved exactly by pool-adjacent-violators).

With ``vertical=True`` the layers run top to bottom instead of left to right (the same
layering, order and routing, transposed): a long causal chain then costs height, not width, which
is what fits a journal's 180 mm column (:func:`facmech.plotting.plot_map` picks the orientation
that prints the labels largest at that width).

All sizes are in inches. The result is a plain frozen :class:`Layout`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from facmech.maps import MechanismMap

__all__ = ["STAGES", "Layout", "compute_layout", "node_columns"]

#: Layout stages, left to right.
STAGES = ("baseline", "strategy", "early", "middle", "late", "end")
_ROLE_ORDER = {"context": 0, "strategy": 1, "component": 2, "mechanism": 3, "outcome": 4}


@dataclass(frozen=True)
class Layout:
    """Positions (inches, y pointing up) of node centres and of edge waypoints.

    ``routes`` maps each drawn forward edge ``(source, target)`` to the dummy waypoints between
    the two boxes; ``columns`` maps nodes to their column; ``groups`` maps nodes to their group
    (period band) and ``stage_of`` to the stage used for layering (``None`` in the fallback).
    """

    centers: dict[str, tuple[float, float]]
    sizes: dict[str, tuple[float, float]]
    routes: dict[tuple[str, str], tuple[tuple[float, float], ...]]
    columns: dict[str, int]
    column_x: tuple[float, ...]
    groups: dict[str, int]
    stage_of: dict[str, str | None]
    width: float
    height: float
    vertical: bool = False
    same_layer: tuple[tuple[str, str], ...] = ()  # edges drawn within one row (a period's)


def _groups(mmap: MechanismMap, dag: nx.DiGraph) -> dict[str, int]:
    """0 for every node of a raw map; on unrolled maps 0 (baseline), 1 + k (period k), P + 1."""
    if not mmap.is_unrolled:
        return {n.id: 0 for n in mmap.nodes}
    periods = mmap.periods or 1
    timed = {n.id for n in mmap.nodes if n.period is not None}
    out = {}
    for n in mmap.nodes:
        if n.period is not None:
            out[n.id] = 1 + n.period
        elif nx.ancestors(dag, n.id) & timed:
            out[n.id] = periods + 1
        else:
            out[n.id] = 0
    return out


def node_columns(
    mmap: MechanismMap, dag: nx.DiGraph
) -> tuple[dict[str, int], dict[str, int], dict[str, str | None]]:
    """Columns (layers) of the nodes, their groups and the stage each was layered by."""
    groups = _groups(mmap, dag)
    stages = {n.id: (n.stage or "").strip().lower() for n in mmap.nodes}
    use_stage = all(s in STAGES for s in stages.values())
    for attempt in (use_stage, False):
        stage_of = {n: (stages[n] if attempt else None) for n in dag.nodes}
        key = {
            n: (groups[n], STAGES.index(stages[n]) if attempt else 0) for n in dag.nodes
        }
        cons = nx.DiGraph()
        cons.add_nodes_from(dag.nodes)
        for u, v in dag.edges:
            cons.add_edge(u, v, weight=1)
        keys = sorted(set(key.values()))
        for i, k in enumerate(keys):
            barrier = ("barrier", i)
            for n in dag.nodes:
                if key[n] == k:
                    cons.add_edge(n, barrier, weight=0)
                elif i + 1 < len(keys) and key[n] == keys[i + 1]:
                    cons.add_edge(barrier, n, weight=1)
        if not nx.is_directed_acyclic_graph(cons):
            continue  # stages contradict the edges: fall back to pure layering (within groups)
        layer: dict = {}
        for n in nx.topological_sort(cons):
            preds = [(p, cons.edges[p, n]["weight"]) for p in cons.predecessors(n)]
            layer[n] = max((layer[p] + w for p, w in preds), default=0)
        return {n: layer[n] for n in dag.nodes}, groups, stage_of
    raise AssertionError("unreachable: the unrolled/within-period map is acyclic")  # pragma: no cover


def _crossings(order: list[list], edges: list[tuple]) -> int:
    pos = {v: (c, i) for c, col in enumerate(order) for i, v in enumerate(col)}
    by_col: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for u, v in edges:
        cu, iu = pos[u]
        by_col[cu].append((iu, pos[v][1]))
    total = 0
    for pairs in by_col.values():
        pairs.sort()
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                if pairs[a][0] != pairs[b][0] and pairs[a][1] > pairs[b][1]:
                    total += 1
    return total


def _pava(targets: list[float], seps: list[float]) -> list[float]:
    """Positions y (increasing) closest to ``targets`` in least squares with y[i] - y[i-1] >= seps[i]."""
    offs = [0.0]
    for s in seps[1:]:
        offs.append(offs[-1] + s)
    z = [t - o for t, o in zip(targets, offs, strict=True)]
    blocks: list[list[float]] = []  # [mean, weight]
    for v in z:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2 = blocks.pop()
            m1, w1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2])
    out: list[float] = []
    for m, w in blocks:
        out += [m] * round(w)
    return [v + o for v, o in zip(out, offs, strict=True)]


def compute_layout(
    mmap: MechanismMap,
    sizes: dict[str, tuple[float, float]],
    *,
    col_gap: float = 0.55,
    row_gap: float = 0.28,
    dummy_size: float = 0.10,
    sort_key: Callable[[str], tuple] | None = None,
    pin_top: frozenset[str] = frozenset(),
    vertical: bool = False,
    band_gap: float = 0.0,
) -> Layout:
    """Lay out ``mmap`` given each node's box size ``(width, height)`` in inches.

    Nodes in ``pin_top`` are kept at the start of their layer: the top of their column (room for
    curves drawn above), or with ``vertical`` the right end of their row (curves drawn at the
    right). ``col_gap`` separates layers, ``row_gap`` neighbours within a layer; ``band_gap``
    is added where a stage (or period band) begins, room for its name.
    """
    pin_key = (lambda v: v in pin_top) if vertical else (lambda v: v not in pin_top)
    dag = mmap.to_networkx()
    columns, groups, stage_of = node_columns(mmap, dag)
    index = {nid: i for i, nid in enumerate(mmap.node_ids)}
    fixed: set[int] = set()
    if vertical and mmap.is_unrolled:
        columns, fixed = _period_rows(mmap, dag, columns, groups)
    n_cols = max(columns.values()) + 1
    role = {n.id: _ROLE_ORDER[n.role.value] for n in mmap.nodes}
    key = sort_key or (lambda nid: (role[nid], index[nid]))
    if fixed:  # a period's row: its nodes in causal order, the same for every period
        topo = {n: i for i, n in enumerate(nx.lexicographical_topological_sort(
            dag, key=lambda n: index[n]))}
        base = {n.id: n.base or n.id for n in mmap.nodes}
        first = {}
        for n in sorted(topo, key=topo.__getitem__):
            first.setdefault(base[n], len(first))
        key = sort_key or (lambda nid: (first[base[nid]], role[nid], index[nid]))

    # dummies for long edges
    chain_edges: list[tuple] = []
    dummies: dict[tuple[str, str], list[tuple]] = {}
    members: list[list] = [[] for _ in range(n_cols)]
    for nid in sorted(columns, key=key):
        members[columns[nid]].append(nid)
    same: list[tuple[str, str]] = []
    for u, v in dag.edges:
        cu, cv = columns[u], columns[v]
        if cu == cv:  # within a period's row: drawn inside the row, not routed
            same.append((u, v))
            dummies[(u, v)] = []
            continue
        chain = [u]
        for c in range(cu + 1, cv):
            d = ("dummy", u, v, c)
            members[c].append(d)
            chain.append(d)
        chain.append(v)
        dummies[(u, v)] = chain[1:-1]
        chain_edges += list(itertools.pairwise(chain))

    preds: dict = defaultdict(list)
    succs: dict = defaultdict(list)
    for a, b in chain_edges:
        preds[b].append(a)
        succs[a].append(b)

    def sweep(order: list[list], down: bool) -> list[list]:
        order = [list(c) for c in order]
        cols = range(1, n_cols) if down else range(n_cols - 2, -1, -1)
        for c in cols:
            ref = order[c - 1] if down else order[c + 1]
            pos = {v: i for i, v in enumerate(ref)}
            nbrs = preds if down else succs
            cur = {v: i for i, v in enumerate(order[c])}

            def bary(v, pos=pos, nbrs=nbrs, cur=cur):
                ps = [pos[w] for w in nbrs[v] if w in pos]
                return (sum(ps) / len(ps), cur[v]) if ps else (float(cur[v]), cur[v])

            if c in fixed:  # lanes by barycentre, the period's nodes kept in causal order
                real = [v for v in order[c] if isinstance(v, str)]
                order[c].sort(key=bary)
                it = iter(real)
                order[c] = [next(it) if isinstance(v, str) else v for v in order[c]]
                continue
            order[c].sort(key=bary)
            order[c].sort(key=pin_key)
        return order

    best = [sorted(c, key=pin_key) for c in members]
    best_x = _crossings(best, chain_edges)
    order = best
    for it in range(12):
        order = sweep(order, down=it % 2 == 0)
        x = _crossings(order, chain_edges)
        if x < best_x:
            best, best_x = [list(c) for c in order], x

    along, across = (0, 1) if vertical else (1, 0)  # size index along / across a layer

    def height(v) -> float:  # extent along the layer (a box's height in a column)
        return sizes[v][along] if isinstance(v, str) else dummy_size

    def sep(a, b) -> float:
        # edges passing a layer run in lanes: closer together when layers run down the page,
        # where lanes add width (the scarce dimension at a journal's column width)
        gap = row_gap if isinstance(a, str) and isinstance(b, str) else \
            row_gap * (0.25 if vertical else 0.5)
        return (height(a) + height(b)) / 2 + gap

    # vertical coordinates (y down while solving)
    y: dict = {}
    for col in best:
        acc = 0.0
        for i, v in enumerate(col):
            if i:
                acc += sep(col[i - 1], v)
            y[v] = acc
    for _ in range(30):
        for col in best:
            targets = []
            for v in col:
                nb = [y[w] for w in preds[v] + succs[v]]
                targets.append(sum(nb) / len(nb) if nb else y[v])
            seps = [0.0] + [sep(col[i - 1], col[i]) for i in range(1, len(col))]
            for v, yy in zip(col, _pava(targets, seps), strict=True):
                y[v] = yy

    # horizontal coordinates
    col_w = [max((sizes[v][across] for v in col if isinstance(v, str)), default=0.3)
             for col in best]
    xs: list[float] = []
    acc = 0.0
    for c, w in enumerate(col_w):
        if c:
            acc += col_w[c - 1] / 2 + col_gap + w / 2
            if groups_change(best, c, groups) and not band_gap:
                acc += col_gap * 0.6
            if band_gap and _band_of(best[c], groups, stage_of) != _band_of(best[c - 1], groups,
                                                                          stage_of):
                acc += band_gap
        xs.append(acc)

    top = min(y[v] - height(v) / 2 for v in y)
    bottom = max(y[v] + height(v) / 2 for v in y)
    x0 = xs[0] - col_w[0] / 2
    depth = xs[-1] + col_w[-1] / 2 - x0  # extent across the layers

    if vertical:  # layers top to bottom; the order within a layer runs left to right
        def place(layer_x: float, pos: float) -> tuple[float, float]:
            return pos - top, depth - (layer_x - x0)
        width, height_ = bottom - top, depth
    else:  # layers left to right; the order within a layer runs top to bottom
        def place(layer_x: float, pos: float) -> tuple[float, float]:
            return layer_x - x0, bottom - pos
        width, height_ = depth, bottom - top
    centers = {v: place(xs[columns[v]], y[v]) for v in columns}
    routes = {
        (u, v): tuple(place(xs[d[3]], y[d]) for d in ds) for (u, v), ds in dummies.items()
    }
    return Layout(
        centers=centers,
        sizes={v: sizes[v] for v in columns},
        routes=routes,
        columns=columns,
        column_x=tuple(x - x0 for x in xs),
        groups=groups,
        stage_of=stage_of,
        width=width,
        height=height_,
        vertical=vertical,
        same_layer=tuple(same),
    )


def _period_rows(
    mmap: MechanismMap, dag: nx.DiGraph, columns: dict[str, int], groups: dict[str, int]
) -> tuple[dict[str, int], set[int]]:
    """Layers of an unrolled map drawn top to bottom with one row per period (a dynamic Bayesian
    network's layout): the baseline layers, then period k in one row, then the end layers.
    Returns the layers and the set of period rows."""
    periods = mmap.periods or 0
    base = [c for n, c in columns.items() if groups[n] == 0]
    end = [c for n, c in columns.items() if groups[n] == periods + 1]
    start = (max(base) + 1) if base else 0
    end0 = min(end) if end else 0
    out = {}
    for n, c in columns.items():
        g = groups[n]
        if g == 0:
            out[n] = c
        elif g <= periods:
            out[n] = start + g - 1
        else:
            out[n] = start + periods + (c - end0)
    return out, set(range(start, start + periods))


def _band_of(layer: list, groups: dict[str, int], stage_of: dict[str, str | None]) -> tuple:
    real = [v for v in layer if isinstance(v, str)]
    return (groups[real[0]], stage_of[real[0]]) if real else ()


def groups_change(order: list[list], c: int, groups: dict[str, int]) -> bool:
    """Whether column ``c`` starts a new group (period band) relative to column ``c - 1``."""
    left = {groups[v] for v in order[c - 1] if isinstance(v, str)}
    right = {groups[v] for v in order[c] if isinstance(v, str)}
    return bool(left and right and min(right) > max(left))
