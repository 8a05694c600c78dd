r"""Design studies on map-based scenarios: an adapter from :mod:`facmech.simulation` to the batched
analysis.

:class:`MapTrial` wraps a simulation :class:`~facmech.simulation.Scenario` (for instance a vignette:
``vha``, ``evidencenow``, ``zambia``) and a parallel or stepped-wedge design. Each replicate is one call
of :func:`facmech.simulation.simulate` with the replicate's own generator; its site-period table gives
the exposure, the outcome's site-period means and the measured (staff-survey) mediators, which the
batched estimators of :mod:`facmech.design.analysis` analyse like any other trial model.

The true values come from the simulator's counterfactual truth
(:func:`facmech.simulation.true_effects`, a large separate population): ``total`` is its ``total``,
``direct`` its natural direct effect ``nde`` and its natural indirect effect ``nie`` through the
mediator set is ``indirect:<mediator>`` with one mediator, and the joint ``indirect`` with several.
The packaged vignettes default to the ordered pair (``leadership_engagement``, ``champions``), the
set containing champions whose natural effects the map identifies (through champions alone they are
not: leadership engagement is a recanting witness). With several ordered mediators the estimate of
``indirect`` is :math:`\sum_k \hat a_k \hat b_k` (``a_k`` the exposure's total effect on mediator
``k``), the paths through at least one mediator; per-mediator products are not reported, because
their targets (e.g. every path through champions, including those via leadership engagement) are
the non-identified natural effects of a single mediator. On a stepped wedge, where facilitation
builds up (and, in some scenarios, is withdrawn) over exposure time, the analysis is the
exposure-time indicator model of :func:`facmech.mediate` (:mod:`facmech.design.analysis`), and the
truth is the matching exposure-time average: ``total_eti``, ``nde_eti`` and ``nie_eti`` of
:func:`facmech.simulation.true_effects` (on a parallel design ``total``, ``nde``, ``nie``).

SMART designs (the AIM vignette, :class:`facmech.simulation.SMART`) are analysed by
:mod:`facmech.design.smart`: there ``total``, ``direct`` and ``indirect:<m>`` are the EF+IF vs EF
contrasts among non-responders over stage 2 (the simulator's estimand mask, so the same truth keys
apply), and ``regimes`` is the embedded-regime contrast over all sites' stage-2 site-periods, whose
truth this class computes on the simulator's truth population (same seed and shared noise).

The ``gformula`` analysis (:mod:`facmech.gmethods.ice`) estimates the sustained-dose contrast
``sustained``: "dose ``dose.base`` every period" vs "never" for a parallel design (truth
``truth["sustained"]["contrast"]``), and from period 1 on for a stepped wedge, whose first period
facilitates no site (truth ``truth["sustained_from_period_1"]["contrast"]``). The treatment is the
strategy node's dose and the time-varying confounders are its lag-1 (feedback) parents in the map.

>>> t = MapTrial("zambia", sites=8, steps=4, patients=5)
>>> t.mediator_names, t.design.periods, t.indirect_estimands
(('leadership_engagement', 'champions'), 5, ('indirect',))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from facmech.design.model import TrialDesign
from facmech.errors import DesignError, FacmechError

__all__ = ["MAP_GRID_PARAMETERS", "MapTrial"]

#: Grid parameters of a map-based scenario (``confounding`` is the feedback strength, i.e. the
#: time-varying confounding of the leadership <-> facilitation loop; ``measurement_error`` is the
#: staff-survey item SD).
MAP_GRID_PARAMETERS = (
    "design",
    "sites",
    "steps",
    "periods",
    "patients",
    "icc",
    "confounding",
    "measurement_error",
)


def _check_identification(ident: Any, scenario: Any, mediators: Any) -> tuple[str, ...]:
    """The mediators of an identification record for ``scenario`` (checked)."""
    from facmech.identification import Effect, Identification

    if not isinstance(ident, Identification) or ident.effect not in (
            Effect.NIE, Effect.NDE, Effect.MEDIATION):
        raise DesignError("`identification` must be an nie, nde or mediation record from "
                          f"facmech.identify (got {getattr(ident, 'effect', type(ident).__name__)})")
    if (ident.treatment, ident.outcome) != (scenario.strategy, scenario.outcome):
        raise DesignError(
            f"`identification` is for {ident.treatment} -> {ident.outcome}, the scenario's "
            f"strategy and outcome are {scenario.strategy} -> {scenario.outcome}")
    if mediators is not None and tuple(mediators) != ident.mediators:
        raise DesignError(f"`mediators` {list(mediators)} differ from the identification's "
                          f"{list(ident.mediators)}")
    return ident.mediators


def _rebuild(spec: dict[str, Any], design: Any, mediators: tuple[str, ...], truth_sites: int,
             truth: dict[str, float]) -> MapTrial:
    out = MapTrial(_sim().Scenario(**spec), design, mediators=mediators, truth_sites=truth_sites)
    out._truth.update(truth)
    return out


def _sim() -> Any:
    import facmech.simulation as sim

    return sim


def _smart(scenario: Any, sizes: dict[str, Any]) -> Any:
    """A SMART design: the scenario's own SMART block (a scenario file, or the built-in scenario
    of the same name) resized, else the simulator's default SMART with ``sizes``."""
    sim = _sim()
    sizes = {k: v for k, v in sizes.items() if k != "steps"}
    name = scenario if isinstance(scenario, str) else getattr(scenario, "name", None)
    if name:
        try:
            base = sim.load_design(name)
        except FacmechError:
            base = None
        if isinstance(base, sim.SMART):
            return replace(base, **sizes) if sizes else base
    return sim.make_design("smart", **({"sites": 24, "patients": 20} | sizes))


def _regime_truth(scenario: Any, design: Any, sites: int, seed: int = 20230553) -> float:
    """Embedded-regime contrast of a SMART: mean over every site's stage-2 site-periods of
    Y(EF+IF if non-responder) - Y(EF if non-responder), on the population (seed, shared noise) of
    :func:`facmech.simulation.true_effects`."""
    from facmech._random import spawn_generators
    from facmech.simulation.engine import Model, Noise, run_world

    model = Model.compile(scenario, design.periods)
    rng_noise, rng_design = spawn_generators(seed, 2)
    noise = Noise.draw(model, sites, design.periods, design.patients, rng_noise)
    scaled = replace(design, sites=sites)
    assignment = scaled.assign(rng_design)
    y = [run_world(model, noise, scaled.counterfactual(a, assignment)).site_period(
        scenario.outcome) for a in (0, 1)]
    return float((y[1] - y[0])[:, design.stage1_periods:].mean())


@dataclass(frozen=True, eq=False)
class MapTrial:
    """A map-based simulated trial (scenario + parallel or stepped-wedge design) for design studies.

    Parameters
    ----------
    scenario : Scenario or str
        A :class:`facmech.simulation.Scenario`, a built-in scenario name or a scenario YAML path.
    design : Design, optional
        A :class:`~facmech.simulation.ParallelCRT` or :class:`~facmech.simulation.SteppedWedge`;
        default: the scenario file's ``design:`` block, with ``sites``/``steps``/``periods``/
        ``patients`` overriding it.
    mediators : tuple of str, optional
        Observed site-level nodes analysed as mediators (default: the scenario's ``mediators``,
        or the ``identification``'s).
    truth_sites : int, default 2000
        Size of the truth population.
    identification : Identification, optional
        ``facmech.identify(scenario.map, strategy, outcome, effect="nie", mediators=[...])`` (or
        ``nde``/``mediation``) for the analysed mediators; computed from the scenario's map when
        not given. Its mediators are the analysed ones and its assumptions are the study's
        (:attr:`assumptions`, carried into :attr:`facmech.design.StudyResult.assumptions`).
    """

    scenario: Any
    design: Any = None
    mediators: tuple[str, ...] | None = None
    sites: int | None = None
    steps: int | None = None
    periods: int | None = None
    patients: int | None = None
    truth_sites: int = 2000
    identification: Any = field(default=None, repr=False)
    _truth: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        sim = _sim()
        scenario, design = self.scenario, self.design
        if not isinstance(scenario, sim.Scenario):
            if design is None:
                design = sim.load_design(scenario)
            scenario = sim.load_scenario(scenario)
        elif design is None:
            raise DesignError("`design` is required when `scenario` is a Scenario object")
        sizes = {k: getattr(self, k) for k in ("sites", "steps", "periods", "patients")}
        sizes = {k: v for k, v in sizes.items() if v is not None}
        if isinstance(design, str) and sim.DesignKind.parse(design) is sim.DesignKind.SMART:
            design = _smart(self.scenario, sizes)
            sizes = {}
        if isinstance(design, (str, TrialDesign)):
            kind = TrialDesign.parse(design).value
            base = {"sites": 24, "patients": 20} | ({"steps": 4} if kind == "stepped-wedge" else {})
            design = sim.make_design(kind, **(base | sizes))
        elif sizes:
            if "steps" in sizes and "periods" not in sizes and isinstance(design, sim.SteppedWedge):
                sizes["periods"] = None  # default layout: steps + 1
            if isinstance(design, (sim.ParallelCRT, sim.SMART)):
                sizes.pop("steps", None)
            try:
                design = replace(design, **sizes)
            except TypeError as exc:
                raise DesignError(f"cannot resize the {design.name} design: {exc}") from None
        if not isinstance(design, (sim.ParallelCRT, sim.SteppedWedge, sim.SMART)):
            name = getattr(design, "name", type(design).__name__)
            raise DesignError(
                f"design studies of map scenarios support parallel, stepped-wedge and smart "
                f"designs (got {name})"
            )
        ident = self.identification
        if ident is not None:
            meds = _check_identification(ident, scenario, self.mediators)
        else:
            meds = scenario.mediators if self.mediators is None else tuple(self.mediators)
        observed = [
            n.id for n in scenario.map.nodes
            if n.observed and n.level.value in ("site", "staff") and n.role.value
            not in ("context", "strategy", "outcome")
        ]
        for m in meds:
            if m not in observed:
                raise DesignError(
                    f"mediator `{m}` is not an observed site-level node of the scenario; "
                    f"observed ones: {', '.join(observed)}"
                )
        set_ = object.__setattr__
        set_(self, "scenario", scenario)
        set_(self, "design", design)
        set_(self, "mediators", tuple(meds))
        if ident is None:
            from facmech.identification import identify

            ident = identify(scenario.map, scenario.strategy, scenario.outcome,
                             **({"effect": "nie", "mediators": list(meds)} if meds else {}))
        set_(self, "identification", ident)
        for k in ("sites", "periods", "patients"):
            set_(self, k, getattr(design, k))
        set_(self, "steps", getattr(design, "steps", None))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Scenario objects hold read-only mappings, which do not pickle: ship plain data (with the
        # map object itself) to worker processes and rebuild there.
        spec = self.scenario.to_dict()
        spec["map"] = self.scenario.map
        return (_rebuild, (spec, self.design, self.mediators, self.truth_sites, dict(self._truth)))

    @property
    def assumptions(self) -> tuple[Any, ...]:
        """The identifying assumptions of the analysed effects (:attr:`identification`'s)."""
        return self.identification.assumptions

    @property
    def mediator_names(self) -> tuple[str, ...]:
        """The analysed mediators."""
        return self.mediators  # type: ignore[return-value]

    @property
    def indirect_estimands(self) -> tuple[str, ...]:
        """Indirect-effect estimands with a truth: ``indirect:<m>`` for one mediator, the joint
        ``indirect`` for several (see the module docstring)."""
        meds = self.mediators or ()
        return (f"indirect:{meds[0]}",) if len(meds) == 1 else (("indirect",) if meds else ())

    @property
    def is_smart(self) -> bool:
        """Whether the design is a SMART (analysed by :mod:`facmech.design.smart`)."""
        return isinstance(self.design, _sim().SMART)

    @property
    def confounders(self) -> tuple[str, ...]:
        """Time-varying confounders of the dose: the strategy node's lag-1 (feedback) parents."""
        sc = self.scenario
        return tuple(dict.fromkeys(
            e.source for e in sc.map.edges if e.target == sc.strategy and e.lag == 1
        ))

    def sustained_strategy(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The dose sequences the ``sustained`` estimand compares (see the module docstring)."""
        base = float(self.scenario.dose.base)
        start = 1 if isinstance(self.design, _sim().SteppedWedge) else 0
        periods = self.design.periods
        return (tuple(base if t >= start else 0.0 for t in range(periods)), (0.0,) * periods)

    def draw_data(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Simulate one trial: ``x`` (exposure), ``y`` (outcome means), ``m`` (mediators,
        ``(K, I, T)``), ``dose`` (the strategy node), ``confounders`` (``(I, T, k)``) and, for a
        SMART, ``responder`` (``(I,)``)."""
        from facmech.simulation.trial import simulate_site_periods

        # the site-period table of simulate(..., truth=False) as (sites, periods) arrays, with no
        # data frames built (the same random streams, so the same numbers)
        sp = simulate_site_periods(self.scenario, self.design, seed=rng)
        shape = (self.design.sites, self.design.periods)

        def col(name: str) -> np.ndarray:
            return sp[name].astype(float)

        out = {
            "x": col("exposed"),
            "y": col(self.scenario.outcome),
            "m": np.stack([col(k) for k in self.mediators]) if self.mediators
            else np.zeros((0, *shape)),
            "dose": col(self.scenario.strategy),
            "confounders": np.stack([col(k) for k in self.confounders], axis=-1)
            if self.confounders else np.zeros((*shape, 0)),
        }
        if self.is_smart:
            out["responder"] = col("responder")[:, 0] > 0.5
        return out

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simulate one trial; return exposure, outcome means ``(I, T)`` and mediators ``(K, I, T)``."""
        data = self.draw_data(rng)
        return data["x"], data["y"], data["m"]

    def truth(self) -> dict[str, float]:
        """True total, direct (NDE) and indirect (NIE; joint with several mediators) effects."""
        if not self._truth:
            scenario = self.scenario.replace(mediators=self.mediators) if self.mediators else (
                self.scenario
            )
            t = _sim().true_effects(scenario, self.design, sites=self.truth_sites)
            # a stepped wedge is analysed with the exposure-time model (design/analysis.py), whose
            # estimands are the exposure-time averages under the design's rollout
            eti = isinstance(self.design, _sim().SteppedWedge)
            sfx = "_eti" if eti else ""
            out = {"total": float(t["total" + sfx])}
            if self.mediators:
                out["direct"] = float(t["nde" + sfx])
                out[self.indirect_estimands[0]] = float(t["nie" + sfx])
            if self.is_smart:
                out["regimes"] = _regime_truth(self.scenario, self.design, self.truth_sites)
            elif isinstance(self.design, _sim().SteppedWedge):
                out["sustained"] = float(t["sustained_from_period_1"]["contrast"])
            else:
                out["sustained"] = float(t["sustained"]["contrast"])
            self._truth.update(out)
        return dict(self._truth)

    def with_parameters(self, values: dict[str, Any]) -> MapTrial:
        """A copy with grid parameters replaced (see :data:`MAP_GRID_PARAMETERS`)."""
        unknown = [k for k in values if k not in MAP_GRID_PARAMETERS]
        if unknown:
            raise DesignError(
                f"unknown grid parameter `{unknown[0]}` for a map scenario; valid parameters: "
                f"{', '.join(MAP_GRID_PARAMETERS)}"
            )
        changes: dict[str, Any] = {}
        if "icc" in values:
            changes["icc"] = values["icc"]
        if "confounding" in values:
            changes["feedback"] = values["confounding"]
        if "measurement_error" in values:
            changes["staff_sd"] = values["measurement_error"]
        scenario = self.scenario.replace(**changes) if changes else self.scenario
        sizes = {k: values[k] for k in ("sites", "steps", "periods", "patients") if k in values}
        design: Any = self.design
        if "design" in values:
            sizes = {"sites": self.design.sites, "patients": self.design.patients} | sizes
            if _sim().DesignKind.parse(values["design"]) is _sim().DesignKind.SMART:
                design = self.design if self.is_smart else "smart"
                if self.is_smart:
                    sizes.pop("steps", None)
                    design = replace(design, **sizes)
                    sizes = {}
            else:
                design = TrialDesign.parse(values["design"])
                if design is TrialDesign.STEPPED_WEDGE:
                    sizes.setdefault("steps", self.steps or 4)
        return MapTrial(scenario, design, mediators=self.mediators, truth_sites=self.truth_sites,
                        **sizes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (scenario, design, mediators)."""
        return {
            "scenario": self.scenario.to_dict(),
            "design": self.design.to_dict(),
            "mediators": list(self.mediators or ()),
        }
