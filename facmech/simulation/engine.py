"""The vectorized structural-equation engine behind :func:`facmech.simulation.simulate`.

A :class:`Model` compiles a :class:`~facmech.simulation.scenario.Scenario` for a number of periods: the
nodes in topological order of the map's lag-0 edges, each with its kind (baseline context, strategy,
site-period, patient), type, intercept, noise SD and parents ``(parent, lag, coefficient)``.
:class:`Noise` holds every random draw of one simulated population (sites x periods x patients), so
that counterfactual worlds share it. :func:`run_world` evaluates the equations period by period,
vectorized over sites and patients, under a *policy* (the design: who is exposed, who receives
facilitation, or a fixed dose), optionally with some nodes held at values taken from another world
(natural effects). :func:`run_path` recomputes the nodes of one path with the path's edges active and
every other input at the reference world (path-specific effects, Avin, Shpitser & Pearl 2005).
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from facmech.errors import CyclicMapError
from facmech.maps import Level, Role
from facmech.maps.unrolling import unroll
from facmech.simulation.scenario import NodeType, Scenario

__all__ = ["Kind", "Model", "Noise", "Step", "World", "run_path", "run_world"]


class Kind(str, enum.Enum):
    """How a node is generated."""

    CONTEXT = "context"  # site-level baseline, shape (I,)
    STRATEGY = "strategy"  # dose per site-period, shape (I, T)
    SITE = "site"  # site-period, shape (I, T)
    PATIENT = "patient"  # patient per period, shape (I, T, J)


@dataclass(frozen=True)
class NodeSpec:
    """A compiled structural equation."""

    id: str
    kind: Kind
    type: NodeType
    intercept: float
    noise_sd: float
    parents: tuple[tuple[str, int, float], ...]
    observed: bool
    self_lag: float = 0.0  # coefficient of the node's own lag-1 edge (persistence)


_COMPILED: OrderedDict[tuple[int, int], tuple[Scenario, Model]] = OrderedDict()
_COMPILED_SIZE = 32
_COMPILED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Model:
    """A scenario compiled for ``periods`` periods."""

    scenario: Scenario
    periods: int
    nodes: tuple[NodeSpec, ...]

    @classmethod
    def compile(cls, scenario: Scenario, periods: int) -> Model:
        """The scenario compiled for ``periods`` periods; cached per scenario object (scenarios
        are frozen), so the replicates of a design study compile, and unroll the map to check
        it, once instead of once each."""
        key = (id(scenario), periods)
        with _COMPILED_LOCK:
            hit = _COMPILED.get(key)
            if hit is not None and hit[0] is scenario:
                _COMPILED.move_to_end(key)
                return hit[1]
        model = cls._compile(scenario, periods)
        with _COMPILED_LOCK:
            _COMPILED[key] = (scenario, model)  # holding the scenario keeps its id unique
            while len(_COMPILED) > _COMPILED_SIZE:
                _COMPILED.popitem(last=False)
        return model

    @classmethod
    def _compile(cls, scenario: Scenario, periods: int) -> Model:
        mmap = scenario.map
        unroll(mmap, periods)  # raises CyclicMapError if the unrolled map is cyclic
        specs = []
        for nid in mmap.topological_order():
            node = mmap.node(nid)
            if node.role == Role.CONTEXT:
                kind = Kind.CONTEXT
            elif node.role == Role.STRATEGY:
                kind = Kind.STRATEGY
            elif node.level == Level.PATIENT:
                kind = Kind.PATIENT
            else:
                kind = Kind.SITE
            parents, self_lag = [], 0.0
            for e in mmap.edges:
                if e.target != nid:
                    continue
                coef = scenario.edge_coefficient(e)
                if e.source == nid:
                    self_lag = coef
                else:
                    parents.append((e.source, e.lag, coef))
            specs.append(NodeSpec(
                id=nid, kind=kind, type=scenario.node_type(nid),
                intercept=scenario.intercepts.get(nid, 0.0),
                noise_sd=scenario.noise_sd.get(nid, scenario.default_noise_sd),
                parents=tuple(parents), observed=node.observed, self_lag=self_lag,
            ))
        kinds = {s.id: s.kind for s in specs}
        for s in specs:
            for p, _lag, _ in s.parents:
                if kinds[p] is Kind.PATIENT and s.kind is Kind.CONTEXT:  # pragma: no cover
                    raise CyclicMapError(f"context node {s.id!r} cannot depend on {p!r}")
        return cls(scenario=scenario, periods=periods, nodes=tuple(specs))

    @property
    def spec(self) -> dict[str, NodeSpec]:
        return {s.id: s for s in self.nodes}

    @property
    def strategy(self) -> str:
        return self.scenario.strategy

    @property
    def outcome(self) -> str:
        return self.scenario.outcome


@dataclass(frozen=True)
class Noise:
    """All random draws of one population: shared by every counterfactual world."""

    sites: int
    periods: int
    patients: int
    draws: Mapping[str, np.ndarray]

    @classmethod
    def draw(cls, model: Model, sites: int, periods: int, patients: int,
             rng: np.random.Generator) -> Noise:
        I, T, J = sites, periods, patients
        sc = model.scenario
        out: dict[str, np.ndarray] = {}
        for s in model.nodes:
            shape = {Kind.CONTEXT: (I,), Kind.STRATEGY: (I, T), Kind.SITE: (I, T),
                     Kind.PATIENT: (I, T, J)}[s.kind]
            if s.kind is Kind.STRATEGY:
                out[s.id] = rng.standard_normal(shape)
            elif s.type is NodeType.CONTINUOUS:
                out[s.id] = rng.standard_normal(shape)
            else:
                out[s.id] = rng.random(shape)
        # outcome error components (Hooper et al. 2016 split of icc and cac)
        out["@u"] = rng.standard_normal(I)
        out["@v"] = rng.standard_normal((I, T))
        for name in sc.patient_covariates:
            out[f"@cov:{name}"] = rng.standard_normal((I, T, J))
        # staff-survey measurement error of observed continuous site-level and context nodes
        for s in model.nodes:
            if s.observed and s.type is NodeType.CONTINUOUS and s.kind in (Kind.SITE, Kind.CONTEXT):
                out[f"@survey:{s.id}"] = rng.standard_normal((I, T) if s.kind is Kind.SITE else (I,))
        return cls(sites=I, periods=T, patients=J, draws=out)


@dataclass(frozen=True)
class Step:
    """What the design does in one period, per site.

    ``exposed``: the randomized design indicator (0/1); ``deliver``: facilitation is delivered by the
    dose rule; ``dose``: a fixed dose overriding the rule (sustained strategies); ``dose_factor``
    multiplies the rule's dose; ``shifts`` add to a node's linear predictor (e.g. an internal
    facilitator's boost to champions).
    """

    exposed: np.ndarray
    deliver: np.ndarray
    dose: np.ndarray | None = None
    dose_factor: np.ndarray | float = 1.0
    shifts: Mapping[str, np.ndarray] = field(default_factory=dict)


Policy = Callable[[int, "World"], Step]


@dataclass
class World:
    """Values of every node in one (factual or counterfactual) world, filled period by period."""

    model: Model
    noise: Noise
    values: dict[str, np.ndarray]
    exposed: np.ndarray
    delivered: np.ndarray
    started: np.ndarray
    state: dict[str, object] = field(default_factory=dict)

    def site_value(self, node: str, t: int) -> np.ndarray:
        """A node's site-level value at period ``t`` (patient nodes: site-period mean), shape (I,)."""
        v = self.values[node]
        if v.ndim == 1:
            return v
        if t < 0:
            return np.zeros(v.shape[0])
        return v[:, t].mean(axis=1) if v.ndim == 3 else v[:, t]

    def site_period(self, node: str) -> np.ndarray:
        """A node's site-period values (patients averaged; context repeated), shape (I, T)."""
        v = self.values[node]
        if v.ndim == 1:
            return np.repeat(v[:, None], self.noise.periods, axis=1)
        return v.mean(axis=2) if v.ndim == 3 else v


def _outcome_scales(sc: Scenario, binary: bool) -> tuple[float, float, float]:
    """SDs of the site intercept, site-by-period effect and patient error of the outcome."""
    if binary:
        total = (np.pi**2 / 3) / (1 - sc.icc)
        return (float(np.sqrt(sc.icc * sc.cac * total)),
                float(np.sqrt(sc.icc * (1 - sc.cac) * total)), 0.0)
    var = sc.outcome_sd**2
    return (float(np.sqrt(sc.icc * sc.cac * var)), float(np.sqrt(sc.icc * (1 - sc.cac) * var)),
            float(np.sqrt((1 - sc.icc) * var)))


def _transform(spec: NodeSpec, lin: np.ndarray, draw: np.ndarray, sd: float) -> np.ndarray:
    if spec.type is NodeType.CONTINUOUS:
        return lin + sd * draw
    if spec.type is NodeType.BINARY:
        return (draw < special.expit(lin)).astype(float)
    return stats.poisson.ppf(draw, np.exp(np.minimum(lin, 20.0)))


def _parent_input(world: World, values: Mapping[str, np.ndarray], pid: str, lag: int, t: int,
                  patient: bool) -> np.ndarray | float:
    v = values[pid]
    if v.ndim == 1:
        return v[:, None] if patient else v
    s = t - lag
    if s < 0:
        return 0.0
    if v.ndim == 3:
        if patient and lag == 0:
            return v[:, s, :]
        m = v[:, s, :].mean(axis=1)
        return m[:, None] if patient else m
    return v[:, s, None] if patient else v[:, s]


def _equation(world: World, spec: NodeSpec, t: int, values: Mapping[str, np.ndarray],
              self_values: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
    """Evaluate a site-period or patient node at period ``t`` from ``values`` (shared noise)."""
    model, noise = world.model, world.noise
    sc = model.scenario
    patient = spec.kind is Kind.PATIENT
    lin: np.ndarray | float = spec.intercept
    for pid, lag, coef in spec.parents:
        if coef != 0.0:
            lin = lin + coef * _parent_input(world, values, pid, lag, t, patient)
    if spec.self_lag != 0.0 and t > 0:
        prev = self_values[:, t - 1]
        lin = lin + spec.self_lag * (prev.mean(axis=1)[:, None] if patient else prev)
    if shift is not None:
        lin = lin + (shift[:, None] if patient else shift)
    draw = noise.draws[spec.id][:, t]
    sd = spec.noise_sd
    if spec.id == model.outcome:
        binary = spec.type is not NodeType.CONTINUOUS
        su, sv, se = _outcome_scales(sc, binary)
        lin = lin + (su * noise.draws["@u"] + sv * noise.draws["@v"][:, t])[:, None]
        if sc.trend:
            lin = lin + sc.trend * t
        for name, beta in sc.patient_covariates.items():
            lin = lin + beta * noise.draws[f"@cov:{name}"][:, t]
        sd = se
    lin = np.broadcast_to(lin, draw.shape)
    return _transform(spec, lin, draw, sd)


def _dose(world: World, spec: NodeSpec, t: int, values: Mapping[str, np.ndarray],
          step: Step, started: np.ndarray) -> np.ndarray:
    if step.dose is not None:
        return np.broadcast_to(np.asarray(step.dose, dtype=float), started.shape).copy()
    rule = world.model.scenario.dose
    k = np.where(started >= 0, t - started, 0)
    lin = rule.base * (1.0 - rule.taper) ** k
    for pid, lag, coef in spec.parents:
        if coef != 0.0:
            lin = lin + coef * _parent_input(world, values, pid, lag, t, False)
    if spec.self_lag != 0.0 and t > 0:
        lin = lin + spec.self_lag * values[spec.id][:, t - 1]
    lin = lin + rule.sd * world.noise.draws[spec.id][:, t]
    if rule.floor is not None:
        lin = np.maximum(lin, rule.floor)
    deliver = step.deliver if rule.duration is None else step.deliver & (k < rule.duration)
    return np.where(deliver, lin * step.dose_factor, 0.0)


def _context(world: World, spec: NodeSpec, values: Mapping[str, np.ndarray]) -> np.ndarray:
    lin: np.ndarray | float = spec.intercept
    for pid, _lag, coef in spec.parents:
        lin = lin + coef * values[pid]
    draw = world.noise.draws[spec.id]
    return _transform(spec, np.broadcast_to(lin, draw.shape), draw, spec.noise_sd)


def run_world(model: Model, noise: Noise, policy: Policy, *,
              overrides: Mapping[str, np.ndarray] | None = None) -> World:
    """Evaluate every node over all periods under ``policy``; ``overrides`` pin nodes to given values."""
    I, T, J = noise.sites, noise.periods, noise.patients
    overrides = overrides or {}
    values: dict[str, np.ndarray] = {}
    world = World(model, noise, values, exposed=np.zeros((I, T)), delivered=np.zeros((I, T), bool),
                  started=np.full(I, -1))
    for spec in model.nodes:
        if spec.kind is Kind.CONTEXT:
            values[spec.id] = _context(world, spec, values)
        else:
            values[spec.id] = np.empty((I, T, J) if spec.kind is Kind.PATIENT else (I, T))
    for t in range(T):
        step: Step | None = None
        for spec in model.nodes:
            if spec.kind is Kind.CONTEXT:
                continue
            if spec.kind is Kind.STRATEGY:
                step = policy(t, world)
                world.exposed[:, t] = step.exposed
                world.delivered[:, t] = step.deliver
                world.started[:] = np.where(step.deliver & (world.started < 0), t, world.started)
            if spec.id in overrides:
                values[spec.id][:, t] = overrides[spec.id][:, t]
            elif spec.kind is Kind.STRATEGY and step is not None:
                values[spec.id][:, t] = _dose(world, spec, t, values, step, world.started)
            else:
                shift = step.shifts.get(spec.id) if step is not None else None
                values[spec.id][:, t] = _equation(world, spec, t, values, values[spec.id], shift)
    return world


def run_path(ref: World, path: tuple[str, ...], policy: Policy) -> np.ndarray:
    """The last node of ``path`` when only the path's edges carry the exposed world (``policy``).

    The first node (the strategy) takes the dose ``policy`` would deliver, given the reference world's
    values of its other inputs; each later node takes its path predecessor (and its own lag) from the
    active computation and every other parent from the reference world ``ref``. Shared noise.
    Returns the active values of ``path[-1]`` (shape of that node).
    """
    model, noise = ref.model, ref.noise
    spec = model.spec
    T = noise.periods
    active: dict[str, np.ndarray] = {}
    started = np.full(noise.sites, -1)
    for node in path:
        active[node] = np.empty_like(ref.values[node])
    for t in range(T):
        for idx, node in enumerate(path):
            s = spec[node]
            if idx == 0:
                step = policy(t, ref)
                started = np.where(step.deliver & (started < 0), t, started)
                view = dict(ref.values)
                view[node] = active[node]
                active[node][:, t] = _dose(ref, s, t, view, step, started)
                continue
            pred = path[idx - 1]
            view = dict(ref.values)
            view[pred] = active[pred]
            # only the path edge pred -> node carries the active world: other parents are reference
            active[node][:, t] = _equation(ref, s, t, view, active[node], None)
    return active[path[-1]]
