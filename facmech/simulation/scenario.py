"""Scenarios: the structural model a synthetic facilitation trial is drawn from.

A :class:`Scenario` turns a mechanism map into a linear(-index) structural equation model over sites,
periods and patients. Every edge of the map gets a coefficient; every node a type, an intercept and a
noise SD. Within a period the lag-0 edges act; lag-1 edges act from period *t* to *t + 1* (the map's
feedback loop leadership engagement -> facilitation -> acceptance -> leadership engagement).

Levels, as the simulator uses them:

* ``context`` nodes are **site-level baseline** variables, drawn once per site;
* the ``strategy`` node (facilitation) is the **dose delivered** per site-period (:class:`DoseRule`);
* every other node at map level ``site`` or ``staff`` is a **site-period** variable, regenerated each
  period; when observed it is measured by a staff survey (``staff_per_site`` staff per site-period,
  respondent scale-score SD ``staff_sd``; items in :mod:`facmech.simulation.items`), so the data
  carry the survey mean (true value plus measurement error);
* nodes at map level ``patient`` are **patient-level**, one draw per patient per period (cross-sectional
  patients); a patient-level parent of a site-level node enters as its site-period mean.

Unlike :func:`facmech.unroll`, which writes time-invariant downstream nodes (``uptake``,
``trust``, ...) once after the last period, the simulator regenerates every non-context node in every
period, so trials carry site-period mediators measured each period. The map must still unroll
(otherwise :class:`~facmech.errors.CyclicMapError`). Lagged parents before period 0 count as 0.

The outcome (default ``patient_outcomes``) also carries site random intercepts, site-by-period effects
and patient noise, split by ``icc`` and ``cac`` (cluster autocorrelation; Hooper et al. 2016,
Stat Med 35:4718):

.. math::

    \\operatorname{Var}(u_i) = \\rho\\,c\\,\\sigma^2,\\quad
    \\operatorname{Var}(v_{it}) = \\rho\\,(1-c)\\,\\sigma^2,\\quad
    \\operatorname{Var}(e_{itj}) = (1-\\rho)\\,\\sigma^2

so ``icc`` is the intra-cluster correlation of the outcome's error within a site-period (for a binary
outcome, on the logistic latent scale, with :math:`(1-\\rho)\\sigma^2 = \\pi^2/3`). Between-site variation
transmitted from context and mechanisms comes on top (the truth reports the marginal ICC).

Examples
--------
>>> s = Scenario(icc=0.05, feedback=0.5)
>>> s.coefficient("facilitation", "problem_solving"), s.coefficient("leadership_engagement", "facilitation")
(0.6, 0.5)
>>> Scenario(icc=1.2)
Traceback (most recent call last):
...
facmech.errors.DesignError: `icc` must be in [0, 1) (got 1.2)
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from facmech._choice import DesignChoice
from facmech.errors import DesignError, MapError, UnknownNodeError, closest
from facmech.formats import load_map
from facmech.maps import Edge, Level, MechanismMap, Role
from facmech.simulation.items import SurveyItems

__all__ = ["DoseRule", "NodeType", "Scenario", "builtin_scenarios", "load_scenario"]

_BUILTIN = Path(__file__).resolve().parent.parent / "scenarios"


class NodeType(DesignChoice):
    """Distribution of a node given its linear predictor ``eta``.

    ``continuous``: ``eta + sd * N(0, 1)``; ``binary``: Bernoulli(logistic(``eta``)); ``count``:
    Poisson(exp(``eta``)).
    """

    CONTINUOUS = "continuous"
    BINARY = "binary"
    COUNT = "count"


@dataclass(frozen=True, kw_only=True)
class DoseRule:
    """The adaptive facilitation dose rule (time-varying confounding lives here).

    Doses are in the scenario's own units (``base`` is the typical first-period dose, e.g. tens of
    facilitator hours); coefficients of edges out of the strategy are per unit of dose.
    In a site-period where facilitation is delivered, the dose is

    .. math::

        D_{it} = \\max\\{f,\\; b\\,(1-\\tau)^{k_{it}} + \\gamma \\sum_p \\beta_p P_{i,t-\\ell_p}
                 + s\\,\\varepsilon_{it}\\}

    where :math:`k_{it}` counts periods since the site's facilitation began (high early, tapering
    later: the Zambia vignette; after ``duration`` periods, if set, support ends and the dose is 0:
    the VHA step-down), :math:`P` are the map's parents of the strategy node (by default
    last period's leadership engagement: buy-in permits dose), :math:`\\gamma` is the scenario's
    ``feedback`` strength (0 removes the feedback) and :math:`f` the ``floor`` (``None``: no floor,
    which keeps the model linear). Outside facilitation the dose is 0.

    >>> DoseRule(base=1.0, taper=0.2).base
    1.0
    """

    base: float = 1.0
    taper: float = 0.0
    sd: float = 0.2
    floor: float | None = 0.0
    duration: int | None = None

    def __post_init__(self) -> None:
        if self.duration is not None and (
            isinstance(self.duration, bool) or not isinstance(self.duration, int) or self.duration < 1
        ):
            raise DesignError(f"`dose.duration` must be an integer >= 1 or null (got {self.duration!r})")
        for name in ("base", "taper", "sd"):
            value = getattr(self, name)
            if not _finite(value):
                raise DesignError(f"`dose.{name}` must be a finite number (got {value!r})")
        if not 0 <= self.taper < 1:
            raise DesignError(f"`dose.taper` must be in [0, 1) (got {self.taper})")
        if self.sd < 0:
            raise DesignError(f"`dose.sd` must be >= 0 (got {self.sd})")
        if self.floor is not None and not _finite(self.floor):
            raise DesignError(f"`dose.floor` must be a number or null (got {self.floor!r})")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


_EDGE_KEY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*->\s*([A-Za-z0-9_]+)\s*(?:\[\s*lag\s*(\d)\s*\])?\s*$")
_ARROW_KEY = re.compile(r"^\s*(?:#|arrow\s*)?(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A frozen structural model for synthetic facilitation trials.

    Parameters
    ----------
    map
        A :class:`~facmech.mechanism_map.MechanismMap` or a built-in map name / map file path
        (default ``"facilitation"``, Kilbourne et al. 2023).
    name, description
        Labels.
    coefficients
        Overrides of edge coefficients, keyed by edge ``"source->target"`` (``"a->b[lag1]"`` for a
        lag-1 edge when both lags exist) or by the figure's arrow number (``6``, ``"#6"``).
    default_coefficient, default_lagged, default_context
        Defaults of edges without an override: a lag-0 edge between non-context nodes gets
        ``default_coefficient / sqrt(k)`` (0.6), a lag-1 edge ``default_lagged / sqrt(k)`` (0.3), where
        ``k`` is the number of non-context parents of the target (so mechanisms with many parents
        keep variances of order 1); a node's own lag-1 edge (persistence) gets ``default_lagged``;
        an edge from a context node ``default_context`` (0.3).
    feedback
        Feedback strength: multiplies every edge into the strategy node in the dose rule (whose own
        coefficient defaults to 1). 0 removes the feedback loop.
    outcome
        The patient outcome node that carries the random effects (default ``patient_outcomes``).
    mediators
        Default mediator set of the natural direct/indirect effects in the truth.
    paths
        Named paths (``"facilitation>...>patient_outcomes"``) whose path-specific effects the truth
        reports; empty: every simple path of the map from the strategy to the outcome.
    types, intercepts, noise_sd
        Per-node type (continuous, binary, count), intercept (0) and noise SD (``default_noise_sd``, 1)
        of continuous nodes.
    icc, cac, outcome_sd
        Outcome error: intra-cluster correlation in [0, 1), cluster autocorrelation in [0, 1], total
        SD of a continuous outcome's error.
    trend
        Secular trend added to the outcome per period.
    patient_covariates
        Name -> effect on the outcome of a standard normal patient covariate.
    staff_per_site, staff_sd
        Staff survey measuring observed continuous site-level nodes: respondents per site-period
        and the SD of one respondent's scale score around the site-period value.
    survey_items, node_survey_items
        The items of each surveyed construct (:class:`~facmech.simulation.items.SurveyItems`:
        loadings and item noise SDs), by default and per node; see
        :mod:`facmech.simulation.items`.
    dose
        The :class:`DoseRule`.
    internal
        Effect of *adding an internal facilitator* (SMART second-stage arm ``external+internal``):
        ``internal_boost`` added to ``internal_node`` (default ``champions`` when the map has it) and
        the external dose multiplied by ``internal_dose_factor``.
    """

    map: MechanismMap | str = "facilitation"
    name: str = "custom"
    description: str = ""
    coefficients: Mapping[Any, float] = field(default_factory=dict)
    default_coefficient: float = 0.6
    default_lagged: float = 0.3
    default_context: float = 0.3
    feedback: float = 0.4
    outcome: str = "patient_outcomes"
    mediators: tuple[str, ...] = ("normalization",)
    paths: tuple[str, ...] = ()
    types: Mapping[str, NodeType | str] = field(default_factory=dict)
    intercepts: Mapping[str, float] = field(default_factory=dict)
    noise_sd: Mapping[str, float] = field(default_factory=dict)
    default_noise_sd: float = 1.0
    icc: float = 0.05
    cac: float = 0.8
    outcome_sd: float = 1.0
    trend: float = 0.0
    patient_covariates: Mapping[str, float] = field(default_factory=lambda: {"severity": -0.3})
    staff_per_site: int = 8
    staff_sd: float = 1.0
    survey_items: SurveyItems = field(default_factory=SurveyItems)
    node_survey_items: Mapping[str, SurveyItems] = field(default_factory=dict)
    dose: DoseRule = field(default_factory=DoseRule)
    internal_node: str | None = None
    internal_boost: float = 0.3
    internal_dose_factor: float = 0.7

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            mmap = load_map(self.map)
        except MapError:
            raise
        if mmap.is_unrolled:
            raise MapError("`map` must be a raw (not unrolled) map; the simulator unrolls it itself")
        set_(self, "map", mmap)
        if isinstance(self.dose, Mapping):
            set_(self, "dose", _build(DoseRule, self.dose, "dose"))
        if not isinstance(self.dose, DoseRule):
            raise DesignError(f"`dose` must be a DoseRule or a mapping (got {type(self.dose).__name__})")
        for name in ("default_coefficient", "default_lagged", "default_context", "feedback", "trend",
                     "default_noise_sd", "outcome_sd", "staff_sd", "internal_boost",
                     "internal_dose_factor"):
            value = getattr(self, name)
            if not _finite(value):
                raise DesignError(f"`{name}` must be a finite number (got {value!r})")
        if not (_finite(self.icc) and 0 <= self.icc < 1):
            raise DesignError(f"`icc` must be in [0, 1) (got {self.icc})")
        if not (_finite(self.cac) and 0 <= self.cac <= 1):
            raise DesignError(f"`cac` must be in [0, 1] (got {self.cac})")
        for name in ("default_noise_sd", "outcome_sd", "staff_sd"):
            if getattr(self, name) < 0:
                raise DesignError(f"`{name}` must be >= 0 (got {getattr(self, name)})")
        if isinstance(self.staff_per_site, bool) or not isinstance(self.staff_per_site, int) \
                or self.staff_per_site < 1:
            raise DesignError(
                f"`staff_per_site` must be an integer >= 1 (got {self.staff_per_site!r})"
            )
        strategies = [n.id for n in mmap.nodes if n.role == Role.STRATEGY]
        if len(strategies) != 1:
            raise MapError(
                f"the simulator needs exactly one node with role `strategy` (found {strategies})"
            )
        for e in mmap.edges:
            src = mmap.node(e.source)
            tgt = mmap.node(e.target)
            if tgt.role == Role.CONTEXT and src.role != Role.CONTEXT:
                raise MapError(
                    f"edge {e}: context node {e.target!r} is a baseline variable and cannot depend "
                    f"on non-context node {e.source!r}"
                )
            if tgt.role == Role.CONTEXT and e.lag:
                raise MapError(f"edge {e}: a baseline context node cannot have lag-1 parents")
        mmap.check_nodes([self.outcome], argument="outcome")
        if mmap.node(self.outcome).level != Level.PATIENT:
            raise DesignError(
                f"`outcome` {self.outcome!r} must be a patient-level node (it is at level "
                f"{mmap.node(self.outcome).level})"
            )
        set_(self, "mediators", tuple(_as_names(self.mediators, "mediators")))
        mmap.check_nodes(self.mediators, argument="mediators")
        for m in self.mediators:
            if mmap.node(m).role in (Role.CONTEXT, Role.STRATEGY) or m == self.outcome:
                raise DesignError(
                    f"`mediators`: {m!r} is a {mmap.node(m).role} node; mediators must lie between "
                    "the strategy and the outcome"
                )
        set_(self, "paths", tuple(_as_names(self.paths, "paths")))
        for p in self.paths:
            self.parse_path(p)
        types = {}
        for k, v in dict(self.types).items():
            mmap.check_nodes([k], argument="types")
            types[k] = NodeType.parse(v, argument=f"types.{k}")
        set_(self, "types", MappingProxyType(types))
        for attr in ("intercepts", "noise_sd"):
            values = {}
            for k, v in dict(getattr(self, attr)).items():
                mmap.check_nodes([k], argument=attr)
                if not _finite(v) or (attr == "noise_sd" and v < 0):
                    bound = " >= 0" if attr == "noise_sd" else ""
                    raise DesignError(f"`{attr}.{k}` must be a finite number{bound} (got {v!r})")
                values[k] = float(v)
            set_(self, attr, MappingProxyType(values))
        covs = {}
        for k, v in dict(self.patient_covariates).items():
            if not isinstance(k, str) or not re.match(r"^[a-z][a-z0-9_]*$", k):
                raise DesignError(f"`patient_covariates`: name {k!r} must be snake_case")
            if k in mmap or k in _RESERVED:
                raise DesignError(f"`patient_covariates`: name {k!r} clashes with a map node or column")
            if not _finite(v):
                raise DesignError(f"`patient_covariates.{k}` must be a finite number (got {v!r})")
            covs[k] = float(v)
        set_(self, "patient_covariates", MappingProxyType(covs))
        set_(self, "survey_items", SurveyItems.parse(self.survey_items))
        node_items = {}
        for k, v in dict(self.node_survey_items).items():
            mmap.check_nodes([k], argument="node_survey_items")
            node_items[k] = SurveyItems.parse(v, f"node_survey_items.{k}")
        set_(self, "node_survey_items", MappingProxyType(node_items))
        if self.staff_sd > 0:  # staff_sd = 0: error-free surveys, items = loadings x value
            for items in (self.survey_items, *node_items.values()):
                items.respondent_variance(self.staff_sd)
        if self.internal_node is not None:
            mmap.check_nodes([self.internal_node], argument="internal_node")
        set_(self, "coefficients", MappingProxyType(self._resolve_coefficients(self.coefficients)))

    # ------------------------------------------------------------------ coefficients
    def _resolve_coefficients(self, overrides: Mapping[Any, float]) -> dict[tuple[str, str, int], float]:
        out: dict[tuple[str, str, int], float] = {}
        for key, value in dict(overrides).items():
            if not _finite(value):
                raise DesignError(f"`coefficients[{key!r}]` must be a finite number (got {value!r})")
            edge = self._find_edge(key)
            out[edge.key] = float(value)
        return out

    def _find_edge(self, key: Any) -> Edge:
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        if isinstance(key, tuple) and len(key) in (2, 3):
            src, tgt, *lag = key
            return self._edge_between(str(src), str(tgt), lag[0] if lag else None, key)
        if isinstance(key, int) and not isinstance(key, bool):
            return self._arrow(key)
        text = str(key)
        m = _ARROW_KEY.match(text)
        if m:
            return self._arrow(int(m.group(1)))
        m = _EDGE_KEY.match(text)
        if m:
            lag = int(m.group(3)) if m.group(3) is not None else None
            return self._edge_between(m.group(1), m.group(2), lag, key)
        raise DesignError(
            f"`coefficients`: cannot read key {key!r}; use 'source->target', 'source->target[lag1]' "
            f"or an arrow number such as 6 or '#6' ({len(mmap.edges)} edges in the map)"
        )

    def _arrow(self, number: int) -> Edge:
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        try:
            return mmap.arrow(number)
        except MapError as exc:
            raise DesignError(f"`coefficients`: {exc}") from None

    def _edge_between(self, src: str, tgt: str, lag: int | None, key: Any) -> Edge:
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        for name in (src, tgt):
            if name not in mmap:
                raise UnknownNodeError(
                    f"`coefficients[{key!r}]`: unknown node {name!r}.{closest(name, mmap.node_ids)}"
                )
        matches = [e for e in mmap.edges if e.source == src and e.target == tgt
                   and (lag is None or e.lag == lag)]
        if not matches:
            edges = [f"{e.source}->{e.target}" for e in mmap.edges]
            raise DesignError(
                f"`coefficients[{key!r}]`: the map has no edge {src} -> {tgt}"
                f"{'' if lag is None else f' with lag {lag}'}.{closest(f'{src}->{tgt}', edges)}"
            )
        if len(matches) > 1:
            raise DesignError(
                f"`coefficients[{key!r}]`: {src} -> {tgt} exists at lag 0 and lag 1; write "
                f"'{src}->{tgt}[lag0]' or '{src}->{tgt}[lag1]'"
            )
        return matches[0]

    def coefficient(self, source: str, target: str, lag: int | None = None) -> float:
        """The structural coefficient of edge ``source -> target`` (feedback applied for the strategy).

        Edges into the strategy node act in the :class:`DoseRule` with coefficient ``feedback``
        times their own coefficient (default 1).
        """
        edge = self._edge_between(source, target, lag, f"{source}->{target}")
        return self.edge_coefficient(edge)

    def edge_coefficient(self, edge: Edge) -> float:
        """Coefficient of a map edge (override, default, or feedback for edges into the strategy)."""
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        if mmap.node(edge.target).role == Role.STRATEGY:
            return self.feedback * self.coefficients.get(edge.key, 1.0)
        if edge.key in self.coefficients:
            return self.coefficients[edge.key]
        if edge.source == edge.target:
            return self.default_lagged
        if mmap.node(edge.source).role == Role.CONTEXT:
            return self.default_context
        default = self.default_lagged if edge.lag else self.default_coefficient
        return default / math.sqrt(self._n_parents(edge.target))

    def _n_parents(self, node_id: str) -> int:
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        return max(1, sum(
            1 for e in mmap.edges
            if e.target == node_id and e.source != node_id
            and mmap.node(e.source).role != Role.CONTEXT
        ))

    # ------------------------------------------------------------------ nodes
    @property
    def strategy(self) -> str:
        """Id of the strategy node (facilitation)."""
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        return next(n.id for n in mmap.nodes if n.role == Role.STRATEGY)

    @property
    def internal_target(self) -> str | None:
        """Node boosted by an internal facilitator: ``internal_node``, else ``champions`` if present."""
        if self.internal_node is not None:
            return self.internal_node
        return "champions" if "champions" in self.map else None  # type: ignore[operator]

    def items_of(self, node_id: str) -> SurveyItems:
        """The survey items measuring ``node_id`` (its own, else the default ``survey_items``)."""
        return self.node_survey_items.get(node_id, self.survey_items)  # type: ignore[return-value]

    def node_type(self, node_id: str) -> NodeType:
        """Type of a node (continuous unless set in ``types``)."""
        return self.types.get(node_id, NodeType.CONTINUOUS)  # type: ignore[return-value]

    def parse_path(self, path: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """Split ``"a>b>c"`` and check it follows map edges from the strategy node.

        >>> Scenario().parse_path("facilitation>problem_solving>capacity")
        ('facilitation', 'problem_solving', 'capacity')
        """
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        nodes = tuple(p.strip() for p in path.split(">")) if isinstance(path, str) else tuple(path)
        if len(nodes) < 2:
            raise DesignError(f"`paths`: {path!r} needs at least two nodes, as in 'a>b'")
        mmap.check_nodes(nodes, argument="paths")
        if nodes[0] != self.strategy:
            raise DesignError(
                f"`paths`: {path!r} must start at the strategy node {self.strategy!r}"
            )
        if len(set(nodes)) != len(nodes):
            raise DesignError(f"`paths`: {path!r} visits a node twice")
        for a, b in itertools.pairwise(nodes):
            if not any(e.source == a and e.target == b for e in mmap.edges):
                raise DesignError(
                    f"`paths`: {path!r} has no map edge {a} -> {b}; children of {a!r}: "
                    f"{', '.join(mmap.children(a)) or 'none'}"
                )
        if mmap.node(nodes[-1]).role in (Role.CONTEXT, Role.STRATEGY):
            raise DesignError(f"`paths`: {path!r} must end at a mechanism or outcome node")
        return nodes

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again).

        >>> Scenario().replace(feedback=0.0).feedback
        0.0
        """
        if "coefficients" not in changes:
            changes["coefficients"] = {f"{s}->{t}[lag{l}]": v for (s, t, l), v in self.coefficients.items()}
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) describing the scenario; the map is referenced by title."""
        mmap: MechanismMap = self.map  # type: ignore[assignment]
        return {
            "name": self.name,
            "description": self.description,
            "map": mmap.title,
            "coefficients": {f"{s}->{t}[lag{l}]": v for (s, t, l), v in self.coefficients.items()},
            "default_coefficient": self.default_coefficient,
            "default_lagged": self.default_lagged,
            "default_context": self.default_context,
            "feedback": self.feedback,
            "outcome": self.outcome,
            "mediators": list(self.mediators),
            "paths": list(self.paths),
            "types": {k: v.value for k, v in self.types.items()},  # type: ignore[union-attr]
            "intercepts": dict(self.intercepts),
            "noise_sd": dict(self.noise_sd),
            "default_noise_sd": self.default_noise_sd,
            "icc": self.icc,
            "cac": self.cac,
            "outcome_sd": self.outcome_sd,
            "trend": self.trend,
            "patient_covariates": dict(self.patient_covariates),
            "staff_per_site": self.staff_per_site,
            "staff_sd": self.staff_sd,
            "survey_items": self.survey_items.to_dict(),
            "node_survey_items": {k: v.to_dict() for k, v in self.node_survey_items.items()},
            "dose": {"base": self.dose.base, "taper": self.dose.taper, "sd": self.dose.sd,
                     "floor": self.dose.floor, "duration": self.dose.duration},
            "internal_node": self.internal_node,
            "internal_boost": self.internal_boost,
            "internal_dose_factor": self.internal_dose_factor,
        }


_RESERVED = {"site", "period", "patient", "exposed", "stage", "responder", "arm", "step"}


def _as_names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    try:
        items = list(value)
    except TypeError:
        raise DesignError(f"`{what}` must be a list of names (got {value!r})") from None
    for v in items:
        if not isinstance(v, str):
            raise DesignError(f"`{what}` must be a list of names (got item {v!r})")
    return items


def _build(cls: type, data: Mapping[str, Any], what: str) -> Any:
    allowed = {f.name for f in fields(cls)}
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise DesignError(
            f"`{what}`: unknown key {unknown[0]!r}.{closest(str(unknown[0]), allowed)} Allowed: "
            f"{', '.join(sorted(allowed))}"
        )
    return cls(**dict(data))


def builtin_scenarios() -> tuple[str, ...]:
    """Names of the packaged vignette scenarios.

    >>> builtin_scenarios()
    ('aim', 'evidencenow', 'vha', 'zambia')
    """
    return tuple(sorted(p.stem for p in _BUILTIN.glob("*.yaml")))


def read_scenario_file(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a scenario YAML (by built-in name or path) into plain data, with ``yaml.safe_load``."""
    text_name = str(name_or_path)
    path = Path(text_name)
    if not path.is_file() and (_BUILTIN / f"{text_name}.yaml").is_file():
        path = _BUILTIN / f"{text_name}.yaml"
    if not path.is_file():
        raise DesignError(
            f"`scenario`: no file {text_name!r} (and no built-in scenario by that name; built-in: "
            f"{', '.join(builtin_scenarios())})"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise DesignError(f"scenario file {str(path)!r}{line}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise DesignError(f"scenario file {str(path)!r} must hold a mapping of scenario fields")
    return data, str(path)


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """Load a packaged vignette scenario (``vha``, ``aim``, ``evidencenow``, ``zambia``) or a YAML file.

    A ``design:`` block in the file, if any, is ignored here; :func:`facmech.simulation.load_design`
    reads it.

    >>> load_scenario("zambia").name
    'zambia'
    >>> load_scenario("zambai")
    Traceback (most recent call last):
    ...
    facmech.errors.DesignError: `scenario`: no file 'zambai' (and no built-in scenario by that name; ...)
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    data, source = read_scenario_file(name_or_path)
    data = {k: v for k, v in data.items() if k != "design"}
    if "map" in data and isinstance(data["map"], str):
        candidate = Path(source).parent / data["map"]
        if candidate.is_file():
            data["map"] = str(candidate)
    for key in ("mediators", "paths"):
        if key in data and isinstance(data[key], list):
            data[key] = tuple(data[key])
    try:
        return _build(Scenario, data, f"scenario {source}")
    except TypeError as exc:  # pragma: no cover - defensive
        raise DesignError(f"scenario file {source!r}: {exc}") from None
