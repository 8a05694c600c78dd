"""True causal effects of a scenario and design, by counterfactual simulation with shared noise.

The truth is a property of the *population* the trial samples from, not of one trial: it is computed
on a large separate population (``sites`` sites, default 2000, with the design's periods and patients
per site-period) drawn from its own fixed seed, so every replicate of a design study shares one truth.
Every counterfactual world reuses the same draws (shared noise), so contrasts carry little Monte Carlo
error; ``mc_se`` reports it (standard error of the mean of per-site contrasts).

Estimands (outcome ``Y`` = the scenario's outcome; ``a`` = the design's exposure)
---------------------------------------------------------------------------------
All are means over patients, averaged with equal weight over the **site-periods of the estimand
mask**: every site-period for parallel, stepped-wedge and observational designs; the stage-2
site-periods of non-responding sites for a SMART (where ``a = 1`` is external + internal facilitation
and ``a = 0`` external facilitation).

``total``
    :math:`E[Y(a{=}1)] - E[Y(a{=}0)]`, exposure switched on (off) for every site in every period
    (facilitation then follows the dose rule, including the feedback).
``total_exposed``
    :math:`E[Y(\text{design}) - Y(a{=}0)]` over the site-periods the design's own rollout exposes
    (assignment drawn on the truth population): the effect in the exposed site-periods, mixing
    exposure durations as the design does (for observational designs, the effect in the treated).
``nde``, ``nie``
    Natural direct and indirect effects through the mediator set :math:`M` (all periods):
    :math:`E[Y(1, M(0))] - E[Y(0)]` and :math:`E[Y(1)] - E[Y(1, M(0))]`; ``nde + nie = total``.
``paths``
    Path-specific effect of each named path (``"a>b>c"``, edge-based, Avin, Shpitser & Pearl 2005):
    :math:`E[Y^{\\pi}] - E[Y(0)]`, where only the path's edges (in every period, with the path nodes'
    own lag-1 persistence) transmit the exposed world and every other input is at ``a = 0``.
``sustained``
    Sustained dose strategies over all site-periods: ``always`` (dose ``dose.base`` every period),
    ``never`` (0), ``dynamic`` (dose ``dose.base`` in a period when the strategy node's feedback input,
    last period's leadership engagement, is >= 0); ``contrast`` = always - never,
    ``dynamic_contrast`` = dynamic - never. The feedback strength does not change the static contrasts.
``sustained_final``
    The same strategies' means in the last period only (the end-of-study outcome).
``sustained_from_period_1``
    ``always`` and ``never`` with the dose starting in period 1 (a stepped wedge facilitates no site
    in period 0), averaged over all site-periods, and their ``contrast``; ``null`` with one period.
``by_period``
    ``total`` and sustained ``contrast`` per period (averaged over sites). As the exposed world starts
    facilitation in period 0, ``by_period["total"][k]`` is also the effect *k* periods after
    facilitation began (exactly for sites starting in period 0; approximately for later starters, whose
    lagged inputs have had longer to settle), the curve exposure-time stepped-wedge models target.
``on_nodes``
    ``total`` on every non-context node (site-period means).
``total_eti``, ``nde_eti``, ``nie_eti``
    Exposure-time effects under the design's own rollout, the estimands of the exposure-time
    indicator model (``mediate(..., effect_model="exposure_time")``; Kenny, Voldal, Xia & Heagerty
    2022). The exposure time of a site-period is the number of periods since the site's first
    exposed period, plus one (0 before crossover). For each exposure time :math:`e = 1..E` (all
    that the rollout produces), the effect of the rollout vs :math:`a = 0` averaged over the
    site-periods at exposure time :math:`e` (``nde``: mediators held at their :math:`a = 0` values
    in every period); the ``_eti`` keys are the equally weighted averages over :math:`e`
    (the time-averaged treatment effect). ``None`` when the rollout is not monotone (a SMART).
``by_exposure_time``
    ``total``, ``nde``, ``nie`` and ``site_periods`` (number of truth-population site-periods)
    per exposure time :math:`1..E`, to average over another window (Monte Carlo SEs in
    ``mc_se["by_exposure_time"]``). In a linear scenario without feedback into the dose,
    ``by_exposure_time["total"][e - 1]`` equals the closed-form ``analytic["by_period_total"]
    [e - 1]`` (the effect ``e - 1`` periods after a period-0 start), as the effect then depends
    only on the time since crossover.

>>> from facmech.simulation import Scenario, ParallelCRT
>>> t = true_effects(Scenario(), ParallelCRT(sites=10, patients=5), sites=200)
>>> abs(t["total"] - (t["nde"] + t["nie"])) < 1e-9
True
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from facmech._random import spawn_generators
from facmech.errors import DesignError
from facmech.simulation.designs import Design
from facmech.simulation.engine import Kind, Model, Noise, Step, World, run_path, run_world
from facmech.simulation.scenario import Scenario

__all__ = [
    "TRUTH_CACHE_SIZE",
    "Truth",
    "clear_truth_cache",
    "default_paths",
    "exposure_time_matrix",
    "true_effects",
]

#: How many truths :func:`true_effects` keeps (least recently used dropped first).
TRUTH_CACHE_SIZE = 64
_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()

DEFINITIONS = {
    "total": "E[Y(a=1)] - E[Y(a=0)]: design exposure on vs off for every site in every period; mean "
             "over patients, equal weight per site-period of the estimand mask",
    "nde": "E[Y(1, M(0))] - E[Y(0)]: mediators M held, in every period, at their a=0 values",
    "nie": "E[Y(1)] - E[Y(1, M(0))]",
    "total_exposed": "E[Y(design rollout)] - E[Y(a=0)] over the site-periods the rollout exposes",
    "sustained_from_period_1": "always (dose.base from period 1 on) vs never, all site-periods",
    "paths": "edge-based path-specific effect: only the path's edges (all periods) carry a=1",
    "sustained": "mean over all site-periods under a fixed dose strategy: always (dose.base), never "
                 "(0), dynamic (dose.base when last period's feedback input >= 0)",
    "sustained_final": "as sustained, in the last period only",
    "total_eti": "mean over exposure times e = 1..E of [E[Y(design rollout)] - E[Y(a=0)]] over "
                 "the site-periods at exposure time e (periods since crossover + 1)",
    "nde_eti": "as total_eti with mediators held at their a=0 values in every period",
    "nie_eti": "total_eti - nde_eti",
        "mask": "all site-periods (parallel, stepped-wedge, observational); stage-2 site-periods of "
            "non-responders (SMART)",
}


@dataclass(frozen=True, eq=False)
class Truth(Mapping[str, Any]):
    """The true effects: a read-only, JSON-serialisable mapping (see the module docstring)."""

    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain JSON data."""
        return json.loads(self.to_json())

    def to_json(self, *, indent: int | None = 2) -> str:
        """The truth as JSON text."""
        return json.dumps(self.values, indent=indent, allow_nan=False)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the scalar effects: ``effect``, ``truth``, ``mc_se`` (paths as ``path:a>b``).

        >>> from facmech.simulation import Scenario, ParallelCRT
        >>> t = true_effects(Scenario(), ParallelCRT(sites=4, patients=2), sites=50, paths=())
        >>> t.to_frame().loc["total"].index.tolist()
        ['truth', 'mc_se']
        """
        v, se = self.values, self.values["mc_se"]
        rows = {k: (v[k], se.get(k)) for k in ("total", "nde", "nie", "total_exposed")}
        for k in ("total_eti", "nde_eti", "nie_eti"):
            if v.get(k) is not None:
                rows[k] = (v[k], se.get(k))
        for k in ("always", "never", "dynamic", "contrast", "dynamic_contrast"):
            rows[f"sustained:{k}"] = (v["sustained"][k],
                                      se["sustained_contrast"] if k == "contrast" else None)
        for k, val in v["paths"].items():
            rows[f"path:{k}"] = (val, se["paths"].get(k))
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["truth", "mc_se"])
        frame.index.name = "effect"
        return frame.astype(float)

    def __repr__(self) -> str:
        keys = ("total", "nde", "nie")
        return "Truth(" + ", ".join(f"{k}={self.values[k]:.4f}" for k in keys) + ", ...)"


def default_paths(scenario: Scenario) -> tuple[str, ...]:
    """Every simple path of the map from the strategy to the outcome (no edges into the strategy).

    >>> len(default_paths(Scenario())) > 5
    True
    """
    mmap = scenario.map
    g = nx.DiGraph()
    g.add_nodes_from(mmap.node_ids)
    g.add_edges_from((e.source, e.target) for e in mmap.edges
                     if e.source != e.target and e.target != scenario.strategy)
    paths = nx.all_simple_paths(g, scenario.strategy, scenario.outcome)
    return tuple(sorted(">".join(p) for p in paths))


def _sustained_policy(kind: str, model: Model, *, start: int = 0) -> Any:
    sc = model.scenario
    spec = model.spec[sc.strategy]

    def policy(t: int, world: World) -> Step:
        n = world.noise.sites
        if t < start:
            dose = np.zeros(n)
        elif kind == "always":
            dose = np.full(n, sc.dose.base)
        elif kind == "never":
            dose = np.zeros(n)
        else:
            signal = np.zeros(n)
            for pid, lag, _coef in spec.parents:
                signal = signal + world.site_value(pid, t - lag)
            dose = np.where(signal >= 0, sc.dose.base, 0.0)
        return Step(exposed=(dose > 0).astype(float), deliver=dose > 0, dose=dose)

    return policy


def _site_period(world: World, values: np.ndarray) -> np.ndarray:
    if values.ndim == 3:
        return values.mean(axis=2)
    if values.ndim == 1:
        return np.repeat(values[:, None], world.noise.periods, axis=1)
    return values


def _mean(sp: np.ndarray, mask: np.ndarray) -> float:
    return float(sp[mask].mean())


def _site_se(diff: np.ndarray, mask: np.ndarray) -> float:
    """Monte Carlo SE: SD of per-site masked means of a contrast over root of the number of sites."""
    has = mask.any(axis=1)
    per_site = np.where(mask, diff, 0.0).sum(axis=1)[has] / mask.sum(axis=1)[has]
    return float(per_site.std(ddof=1) / np.sqrt(per_site.size)) if per_site.size > 1 else 0.0


def _anova_icc(y: np.ndarray) -> float:
    """One-way ANOVA ICC of patient values y (I, J)."""
    I, J = y.shape
    if J < 2 or I < 2:
        return 0.0
    means = y.mean(axis=1)
    msb = J * means.var(ddof=1)
    msw = ((y - means[:, None]) ** 2).sum() / (I * (J - 1))
    return float(max(0.0, (msb - msw) / (msb + (J - 1) * msw)))


def true_effects(
    scenario: Scenario,
    design: Design,
    *,
    mediators: Sequence[str] | None = None,
    paths: Sequence[str] | None = None,
    sites: int = 2000,
    seed: int = 20230553,
    analytic: bool = True,
) -> Truth:
    """Compute the true effects of ``scenario`` under ``design`` (see the module docstring).

    Parameters
    ----------
    scenario, design
        The structural model and the design (its periods, patients per site-period and contrast).
    mediators
        Mediator set of ``nde``/``nie`` (default: the scenario's ``mediators``).
    paths
        Paths whose path-specific effects are reported (default: the scenario's ``paths``, or all
        simple paths from the strategy to the outcome).
    sites
        Size of the truth population (Monte Carlo error shrinks as its root).
    seed
        Seed of the truth population (fixed by default, so the truth does not vary by replicate).
    analytic
        Also compute the closed-form linear truth when the scenario is linear (``"analytic"`` key).

    Notes
    -----
    The truth is a deterministic function of its arguments, so it is computed once per (scenario,
    design, mediators, paths, sites, seed, analytic) and kept in a bounded cache
    (:data:`TRUTH_CACHE_SIZE` entries, least recently used dropped first; :func:`clear_truth_cache`
    empties it): repeated simulations of one scenario and design pay it once. The key is the full
    content of the scenario (every field and the map's nodes and edges), the design, and the
    other arguments; every call returns its own copy.
    """
    if isinstance(sites, bool) or not isinstance(sites, int) or sites < 2:
        raise DesignError(f"`sites` of the truth population must be an integer >= 2 (got {sites!r})")
    key = _cache_key(scenario, design, mediators, paths, sites, seed, analytic)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is None:
        hit = _true_effects(scenario, design, mediators=mediators, paths=paths, sites=sites,
                            seed=seed, analytic=analytic)
        with _LOCK:
            _CACHE[key] = hit
            while len(_CACHE) > TRUTH_CACHE_SIZE:
                _CACHE.popitem(last=False)
    return Truth(copy.deepcopy(hit))


def clear_truth_cache() -> None:
    """Empty the cache of :func:`true_effects`."""
    with _LOCK:
        _CACHE.clear()


def _cache_key(scenario: Scenario, design: Design, mediators: Sequence[str] | None,
               paths: Sequence[str] | None, sites: int, seed: int, analytic: bool) -> str:
    spec = scenario.to_dict()
    spec["map"] = scenario.map.to_dict(evidence=False)
    return json.dumps({
        "scenario": spec, "design": [type(design).__name__, repr(design)],
        "mediators": None if mediators is None else list(mediators),
        "paths": None if paths is None else list(paths), "sites": sites, "seed": seed,
        "analytic": bool(analytic),
    }, sort_keys=True, default=repr)


def _true_effects(
    scenario: Scenario,
    design: Design,
    *,
    mediators: Sequence[str] | None,
    paths: Sequence[str] | None,
    sites: int,
    seed: int,
    analytic: bool,
) -> dict[str, Any]:
    """The uncached computation of :func:`true_effects` (plain data)."""
    mmap = scenario.map
    meds = tuple(scenario.mediators if mediators is None else mediators)
    mmap.check_nodes(meds, argument="mediators")
    for m in meds:
        if m in (scenario.strategy, scenario.outcome) or \
                mmap.node(m).role.value == "context":
            raise DesignError(f"`mediators`: {m!r} cannot be a mediator (strategy, outcome or context)")
    path_list = tuple(paths) if paths is not None else (scenario.paths or default_paths(scenario))
    parsed = [scenario.parse_path(p) for p in path_list]

    model = Model.compile(scenario, design.periods)
    rng_noise, rng_design = spawn_generators(seed, 2)
    noise = Noise.draw(model, sites, design.periods, design.patients, rng_noise)
    scaled = _scaled_design(design, sites)
    assignment = scaled.assign(rng_design)
    w0 = run_world(model, noise, scaled.counterfactual(0, assignment))
    w1 = run_world(model, noise, scaled.counterfactual(1, assignment))
    mask = scaled.estimand_mask(w1)
    if not mask.any():
        raise DesignError(
            "the design's estimand covers no site-period (e.g. a SMART where every site responds); "
            "lower the response `threshold`"
        )
    y = scenario.outcome
    y0, y1 = _site_period(w0, w0.values[y]), _site_period(w1, w1.values[y])
    w10 = run_world(model, noise, scaled.counterfactual(1, assignment),
                    overrides={m: w0.values[m] for m in meds})
    y10 = _site_period(w10, w10.values[y])
    total, nde = _mean(y1, mask) - _mean(y0, mask), _mean(y10, mask) - _mean(y0, mask)

    # the design's own rollout (random assignment on the truth population) vs a = 0, averaged over
    # the site-periods it exposes: the effect in the exposed site-periods (ATT for observational)
    wd = run_world(model, noise, scaled.policy(assignment))
    exposed_mask = wd.exposed > 0
    yd = _site_period(wd, wd.values[y])
    total_exposed = _mean(yd, exposed_mask) - _mean(y0, exposed_mask) if exposed_mask.any() else None

    eti, eti_se = _exposure_time_effects(model, noise, scaled.policy(assignment), wd, w0, y, meds)

    sustained_from_1: dict[str, float] | None = None
    if design.periods > 1:
        fw = {k: run_world(model, noise, _sustained_policy(k, model, start=1))
              for k in ("always", "never")}
        sustained_from_1 = {k: _mean(_site_period(w, w.values[y]), np.ones_like(mask))
                            for k, w in fw.items()}
        sustained_from_1["contrast"] = sustained_from_1["always"] - sustained_from_1["never"]

    path_effects, path_se = {}, {}
    for p in parsed:
        act = _site_period(w0, run_path(w0, p, scaled.counterfactual(1, assignment)))
        ref = _site_period(w0, w0.values[p[-1]])
        path_effects[">".join(p)] = _mean(act, mask) - _mean(ref, mask)
        path_se[">".join(p)] = _site_se(act - ref, mask)

    full = np.ones_like(mask)
    sustained_worlds = {k: run_world(model, noise, _sustained_policy(k, model))
                        for k in ("always", "never", "dynamic")}
    sy = {k: _site_period(w, w.values[y]) for k, w in sustained_worlds.items()}
    sustained = {k: _mean(v, full) for k, v in sy.items()}
    sustained["contrast"] = sustained["always"] - sustained["never"]
    sustained["dynamic_contrast"] = sustained["dynamic"] - sustained["never"]
    last = design.periods - 1
    final = {k: float(v[:, last].mean()) for k, v in sy.items()}
    final["contrast"] = final["always"] - final["never"]
    final["dynamic_contrast"] = final["dynamic"] - final["never"]

    on_nodes = {}
    for s in model.nodes:
        if s.kind is Kind.CONTEXT:
            continue
        a = _site_period(w1, w1.values[s.id])
        b = _site_period(w0, w0.values[s.id])
        on_nodes[s.id] = _mean(a, mask) - _mean(b, mask)

    by_period_mask = mask.any(axis=0)
    by_period = {
        "total": [float((y1 - y0)[mask[:, t], t].mean()) if by_period_mask[t] else None
                  for t in range(design.periods)],
        "sustained_contrast": [float((sy["always"] - sy["never"])[:, t].mean())
                               for t in range(design.periods)],
    }
    icc_marginal = float(np.mean([_anova_icc(w0.values[y][:, t, :])
                                  for t in range(design.periods)]))
    values: dict[str, Any] = {
        "outcome": y,
        "mediators": list(meds),
        "total": total,
        "nde": nde,
        "nie": total - nde,
        "total_exposed": total_exposed,
        "paths": path_effects,
        "sustained": sustained,
        "sustained_final": final,
        "sustained_from_period_1": sustained_from_1,
        "by_period": by_period,
        "on_nodes": on_nodes,
        **eti,
        "mc_se": {
            "total": _site_se(y1 - y0, mask),
            "nde": _site_se(y10 - y0, mask),
            "nie": _site_se(y1 - y10, mask),
            "sustained_contrast": _site_se(sy["always"] - sy["never"], full),
            "paths": path_se,
            "total_exposed": _site_se(yd - y0, exposed_mask) if exposed_mask.any() else None,
            **eti_se,
        },
        "icc_marginal_control": icc_marginal,
        "population": {"sites": sites, "periods": design.periods, "patients": design.patients,
                       "seed": seed},
        "definitions": dict(DEFINITIONS),
    }
    if analytic:
        from facmech.simulation.analytic import analytic_effects, is_linear

        ok, reason = is_linear(scenario, design)
        values["analytic"] = (
            analytic_effects(scenario, design, mediators=meds, paths=parsed).to_dict()
            if ok else {"available": False, "reason": reason}
        )
    return values


def exposure_time_matrix(exposed: np.ndarray) -> np.ndarray | None:
    """Exposure time of every site-period (periods since first exposure + 1; 0 before), or None
    when some site returns to control after exposure (not a rollout).

    >>> exposure_time_matrix(np.array([[0, 1, 1], [0, 0, 1]]))
    array([[0, 1, 2],
           [0, 0, 1]])
    """
    on = np.asarray(exposed) > 0
    T = on.shape[1]
    first = np.where(on.any(axis=1), on.argmax(axis=1), T)
    t = np.arange(T)[None, :]
    if np.any(~on & (t > first[:, None])):
        return None
    return np.where(on, t - first[:, None] + 1, 0)


def _exposure_time_effects(model: Model, noise: Noise, rollout: Any, wd: World, w0: World,
                           y: str, meds: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``total_eti``/``nde_eti``/``nie_eti``, ``by_exposure_time`` and their Monte Carlo SEs."""
    keys = ("total_eti", "nde_eti", "nie_eti")
    ex = exposure_time_matrix(wd.exposed)
    if ex is None or ex.max() < 1:
        return ({**dict.fromkeys(keys), "by_exposure_time": None},
                {**dict.fromkeys(keys), "by_exposure_time": None})
    wd10 = run_world(model, noise, rollout, overrides={m: w0.values[m] for m in meds})
    y0, yd = _site_period(w0, w0.values[y]), _site_period(wd, wd.values[y])
    y10 = _site_period(wd10, wd10.values[y])
    E = int(ex.max())
    counts = np.array([(ex == e).sum() for e in range(1, E + 1)])
    # weight of each site-period in the equally weighted average over exposure times
    w = np.where(ex > 0, 1.0 / (E * counts[np.maximum(ex, 1) - 1]), 0.0)
    out: dict[str, Any] = {}
    se: dict[str, Any] = {}
    by: dict[str, Any] = {"site_periods": counts.tolist()}
    se_by: dict[str, Any] = {}
    for name, diff in (("total", yd - y0), ("nde", y10 - y0), ("nie", yd - y10)):
        by[name] = [float(diff[ex == e].mean()) for e in range(1, E + 1)]
        # a site is at exposure time e in at most one period: site-periods at e are independent
        se_by[name] = [float(diff[ex == e].std(ddof=1) / np.sqrt(max(c, 1)))
                       for e, c in zip(range(1, E + 1), counts, strict=True)]
        out[f"{name}_eti"] = float(np.mean(by[name]))
        per_site = (w * diff).sum(axis=1)  # the average is the sum of these over sites
        se[f"{name}_eti"] = float(np.sqrt(per_site.size) * per_site.std(ddof=1))
    out["by_exposure_time"] = by
    se["by_exposure_time"] = se_by
    return out, se


def _scaled_design(design: Design, sites: int) -> Design:
    """The design with ``sites`` sites (the truth population), everything else equal."""
    from dataclasses import replace

    changes: dict[str, Any] = {"sites": sites}
    if getattr(design, "steps", None) is not None and sites < design.steps:  # pragma: no cover
        changes["sites"] = design.steps
    return replace(design, **changes)  # type: ignore[type-var]
