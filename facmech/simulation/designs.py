"""Trial designs: who is exposed to facilitation, when, and what the randomized indicator is.

Each design is a small frozen object holding only its sizes and options. The simulator asks it for

* a random **assignment** (drawn once per trial from its own stream),
* the factual **policy** (per period: the ``exposed`` indicator, whether the dose rule delivers
  facilitation, dose factors and shifts),
* the **counterfactual policies** that define the design's causal contrast (exposure ``a = 1`` vs
  ``a = 0``), and the site-periods the effects average over,
* its extra **columns** (``step``; ``stage``, ``responder``, ``arm``).

Designs
-------
:class:`ParallelCRT`
    Sites randomized 1:1 (or ``treated`` share) to facilitation for all periods.
:class:`SteppedWedge`
    Cross-sectional patients per site-period; sites cross over from control to facilitation in
    ``steps`` randomized, balanced groups; everyone is unexposed in period 0 and exposed in the last.
:class:`SMART`
    AIM-style sequential multiple assignment randomized trial: every site starts with a low-intensity
    strategy (no facilitation by default); at the end of stage 1 sites whose ``response_node``
    (site-period mean) is below ``threshold`` are non-responders and are re-randomized (balanced) to
    external facilitation (``exposed = 0``) or external + internal facilitation (``exposed = 1``).
    Responders continue the low-intensity strategy.
:class:`Observational`
    No randomization: a site takes up facilitation with probability increasing in its context
    (confounded data).

>>> SteppedWedge(sites=24, steps=4, patients=50).periods
5
>>> SteppedWedge(sites=3, steps=4, patients=10)
Traceback (most recent call last):
...
facmech.errors.DesignError: `sites` (3) must be at least `steps` (4) so every step has a site
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import special

from facmech._choice import DesignChoice
from facmech.errors import DesignError, closest
from facmech.simulation.engine import Kind, Policy, Step, World

__all__ = [
    "SMART",
    "Design",
    "DesignKind",
    "Observational",
    "ParallelCRT",
    "SteppedWedge",
    "load_design",
    "make_design",
    "resolve_design",
]


class DesignKind(DesignChoice):
    """Design names accepted at the boundary (CLI ``--design`` and YAML ``design.type``).

    >>> DesignKind.parse("SW"), DesignKind.parse("parallel_crt")
    (<DesignKind.STEPPED_WEDGE: 'stepped-wedge'>, <DesignKind.PARALLEL: 'parallel'>)
    """

    PARALLEL = "parallel"
    STEPPED_WEDGE = "stepped-wedge"
    SMART = "smart"
    OBSERVATIONAL = "observational"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"parallel-crt": "parallel", "crt": "parallel", "sw": "stepped-wedge",
                "steppedwedge": "stepped-wedge", "obs": "observational"}

    @classmethod
    def parse(  # type: ignore[override]
        cls, value: object, *, argument: str = "design"
    ) -> DesignKind:
        return super().parse(value, argument=argument)  # type: ignore[return-value]


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DesignError(f"`{name}` must be an integer >= {minimum} (got {value!r})")
    if value < minimum:
        raise DesignError(f"`{name}` must be an integer >= {minimum} (got {value})")
    return int(value)


def _all(value: float, sites: int) -> np.ndarray:
    return np.full(sites, float(value))


class Design:
    """Base of the designs: ``sites``, ``periods`` and ``patients`` (per site per period)."""

    sites: int
    periods: int
    patients: int

    name = "design"

    def __post_init__(self) -> None:
        _count("sites", self.sites)
        _count("periods", self.periods)
        _count("patients", self.patients)

    # --- hooks used by the simulator --------------------------------------------------------
    def assign(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Random assignment of this design (drawn once per trial)."""
        return {}

    def policy(self, assignment: Mapping[str, np.ndarray]) -> Policy:  # pragma: no cover
        raise NotImplementedError

    def counterfactual(self, a: int, assignment: Mapping[str, np.ndarray]) -> Policy:
        """The world where the design's exposure is ``a`` for every site in every period."""
        deliver = bool(a)

        def policy(t: int, world: World) -> Step:
            n = world.noise.sites
            return Step(exposed=_all(a, n), deliver=np.full(n, deliver))

        return policy

    def estimand_mask(self, world: World) -> np.ndarray:
        """Site-periods the causal contrast averages over (all of them by default)."""
        return np.ones((world.noise.sites, world.noise.periods), dtype=bool)

    def columns(self, world: World, assignment: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Extra site-period columns of this design."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """Plain data describing the design."""
        out: dict[str, Any] = {"type": self.name}
        out.update({k: getattr(self, k) for k in self.__dataclass_fields__})  # type: ignore[attr-defined]
        return out


@dataclass(frozen=True, kw_only=True)
class ParallelCRT(Design):
    """Parallel cluster-randomized trial: a ``treated`` share of sites gets facilitation throughout.

    >>> ParallelCRT(sites=20, patients=30).periods
    1
    """

    sites: int
    patients: int
    periods: int = 1
    treated: float = 0.5

    name = "parallel"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.treated < 1:
            raise DesignError(f"`treated` must be in (0, 1) (got {self.treated})")
        n1 = round(self.sites * self.treated)
        if n1 < 1 or n1 > self.sites - 1:
            raise DesignError(
                f"`sites` ({self.sites}) is too few for a treated share of {self.treated}: both arms "
                "need at least one site"
            )

    def assign(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        arm = np.zeros(self.sites)
        arm[rng.permutation(self.sites)[: round(self.sites * self.treated)]] = 1.0
        return {"arm": arm}

    def policy(self, assignment: Mapping[str, np.ndarray]) -> Policy:
        arm = assignment["arm"]

        def policy(t: int, world: World) -> Step:
            return Step(exposed=arm, deliver=arm > 0)

        return policy


@dataclass(frozen=True, kw_only=True)
class SteppedWedge(Design):
    """Stepped-wedge cluster trial with cross-sectional patients.

    Sites are randomly split into ``steps`` groups whose sizes differ by at most one; group ``s``
    (0-based) crosses over at period ``1 + floor(s (T - 1) / S)``, so period 0 is all control and the
    last period all facilitation. ``periods`` defaults to ``steps + 1`` and ``steps`` to
    ``periods - 1`` (one step per period after the baseline period, the standard complete design
    of Hussey & Hughes 2007 and swCRTdesign's ``swDsn``); give at least one of them.

    >>> SteppedWedge(sites=24, periods=5, patients=20).steps
    4
    """

    sites: int
    patients: int
    steps: int = None  # type: ignore[assignment]  # None: periods - 1
    periods: int = None  # type: ignore[assignment]  # None: steps + 1

    name = "stepped-wedge"

    def __post_init__(self) -> None:
        if self.steps is None and self.periods is None:
            raise DesignError("a stepped-wedge design needs `steps` or `periods` (steps default "
                              "to periods - 1, periods to steps + 1)")
        if self.steps is None:
            _count("periods", self.periods, minimum=2)
            object.__setattr__(self, "steps", self.periods - 1)
        _count("steps", self.steps)
        if self.periods is None:
            object.__setattr__(self, "periods", self.steps + 1)
        super().__post_init__()
        if self.sites < self.steps:
            raise DesignError(
                f"`sites` ({self.sites}) must be at least `steps` ({self.steps}) so every step "
                "has a site"
            )
        if self.periods < self.steps + 1:
            raise DesignError(
                f"`periods` ({self.periods}) must be at least `steps` + 1 ({self.steps + 1}): one "
                "control period before the first step"
            )

    @property
    def crossover_periods(self) -> tuple[int, ...]:
        """Period at which each step crosses over."""
        T, S = self.periods, self.steps
        return tuple(1 + (s * (T - 1)) // S for s in range(S))

    def assign(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        order = rng.permutation(self.sites)
        step = np.empty(self.sites, dtype=int)
        step[order] = (np.arange(self.sites) * self.steps) // self.sites
        start = np.asarray(self.crossover_periods)[step]
        return {"step": step + 1, "start": start}

    def policy(self, assignment: Mapping[str, np.ndarray]) -> Policy:
        start = assignment["start"]

        def policy(t: int, world: World) -> Step:
            on = start <= t
            return Step(exposed=on.astype(float), deliver=on)

        return policy

    def columns(self, world: World, assignment: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"step": np.repeat(assignment["step"][:, None], self.periods, axis=1)}


@dataclass(frozen=True, kw_only=True)
class SMART(Design):
    """AIM-style SMART: low-intensity start, non-responders re-randomized to EF vs EF + IF.

    Parameters
    ----------
    sites, patients, periods
        Sizes; ``periods`` (default 4) includes ``stage1_periods`` (default 2) of stage 1.
    response_node
        Node whose site-period mean in the last stage-1 period defines response (default ``uptake``).
    threshold
        Sites with that mean below ``threshold`` are non-responders.
    initial_dose
        Dose factor of the low-intensity stage-1 strategy (0: no facilitation, as REP in AIM).
    """

    sites: int
    patients: int
    periods: int = 4
    stage1_periods: int = 2
    response_node: str = "uptake"
    threshold: float = 0.0
    initial_dose: float = 0.0

    name = "smart"

    def __post_init__(self) -> None:
        super().__post_init__()
        _count("stage1_periods", self.stage1_periods)
        if self.stage1_periods >= self.periods:
            raise DesignError(
                f"`stage1_periods` ({self.stage1_periods}) must be less than `periods` "
                f"({self.periods}) to leave a second stage"
            )
        if self.sites < 2:
            raise DesignError(f"`sites` must be at least 2 for a SMART (got {self.sites})")
        if not 0 <= self.initial_dose <= 1:
            raise DesignError(f"`initial_dose` must be in [0, 1] (got {self.initial_dose})")

    def assign(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"key": rng.permutation(self.sites)}

    def _responders(self, world: World) -> np.ndarray:
        if "responder" not in world.state:
            node = self.response_node
            if node not in world.values:
                raise DesignError(
                    f"`response_node` {node!r} is not a node of the scenario's map."
                    f"{closest(node, world.values)}"
                )
            if world.model.spec[node].kind is Kind.CONTEXT:
                raise DesignError(f"`response_node` {node!r} is a baseline context node")
            world.state["responder"] = world.site_value(node, self.stage1_periods - 1) >= \
                self.threshold
        return world.state["responder"]  # type: ignore[return-value]

    def _make(self, arm_of: Any) -> Policy:
        s1 = self.stage1_periods

        def policy(t: int, world: World) -> Step:
            n = world.noise.sites
            if t < s1:
                deliver = np.full(n, self.initial_dose > 0)
                return Step(exposed=np.zeros(n), deliver=deliver, dose_factor=self.initial_dose)
            nonresp = ~self._responders(world)
            internal = nonresp & arm_of(world, nonresp)
            sc = world.model.scenario
            factor = np.where(internal, sc.internal_dose_factor, 1.0)
            low = np.where(nonresp, factor, self.initial_dose)
            deliver = nonresp | (self.initial_dose > 0)
            target = sc.internal_target
            shifts = {} if target is None else {target: np.where(internal, sc.internal_boost, 0.0)}
            return Step(exposed=internal.astype(float), deliver=deliver, dose_factor=low,
                        shifts=shifts)

        return policy

    def policy(self, assignment: Mapping[str, np.ndarray]) -> Policy:
        key = assignment["key"]

        def arm_of(world: World, nonresp: np.ndarray) -> np.ndarray:
            # balanced re-randomization among non-responders: by random key, first half EF + IF
            if "internal" not in world.state:
                idx = np.flatnonzero(nonresp)
                idx = idx[np.argsort(key[idx], kind="stable")]
                internal = np.zeros(nonresp.size, dtype=bool)
                internal[idx[: (idx.size + 1) // 2]] = True
                world.state["internal"] = internal
            return world.state["internal"]  # type: ignore[return-value]

        return self._make(arm_of)

    def counterfactual(self, a: int, assignment: Mapping[str, np.ndarray]) -> Policy:
        return self._make(lambda world, nonresp: np.full(nonresp.size, bool(a)))

    def estimand_mask(self, world: World) -> np.ndarray:
        nonresp = ~self._responders(world)
        mask = np.zeros((world.noise.sites, world.noise.periods), dtype=bool)
        mask[:, self.stage1_periods:] = nonresp[:, None]
        return mask

    def columns(self, world: World, assignment: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        I, T = world.noise.sites, world.noise.periods
        resp = self._responders(world)
        internal = world.state.get("internal", np.zeros(I, dtype=bool))
        stage = np.where(np.arange(T)[None, :] < self.stage1_periods, 1, 2).repeat(I, axis=0)
        arm = np.where(internal, "external+internal", "external")
        arm = np.where(resp, "low", arm)
        arm2 = np.where(stage == 1, "low", np.repeat(arm[:, None], T, axis=1))
        return {"stage": stage, "responder": np.repeat(resp.astype(int)[:, None], T, axis=1),
                "arm": arm2}


@dataclass(frozen=True, kw_only=True)
class Observational(Design):
    """Observational rollout: sites take up facilitation from period ``start`` with probability
    ``logistic(confounding * z_i)``, ``z_i`` the sum of the site's context nodes over root of their
    number (context drives uptake, so naive comparisons are confounded).
    """

    sites: int
    patients: int
    periods: int = 1
    confounding: float = 1.0
    start: int = 0

    name = "observational"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.sites < 2:
            raise DesignError(f"`sites` must be at least 2 (got {self.sites})")
        if not np.isfinite(self.confounding):
            raise DesignError(f"`confounding` must be finite (got {self.confounding})")
        if not 0 <= self.start < self.periods:
            raise DesignError(f"`start` must be in [0, periods) (got {self.start})")

    def assign(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"u": rng.random(self.sites)}

    def policy(self, assignment: Mapping[str, np.ndarray]) -> Policy:
        u = assignment["u"]

        def policy(t: int, world: World) -> Step:
            if "uptake_site" not in world.state:
                ctx = [s.id for s in world.model.nodes if s.kind is Kind.CONTEXT]
                z = sum((world.values[c] for c in ctx), np.zeros(world.noise.sites))
                z = z / np.sqrt(max(len(ctx), 1))
                world.state["uptake_site"] = u < special.expit(self.confounding * z)
            on = world.state["uptake_site"] & (t >= self.start)  # type: ignore[operator]
            return Step(exposed=on.astype(float), deliver=on)

        return policy


def make_design(kind: str | DesignKind, **sizes: Any) -> Design:
    """Build a design by name (``parallel``, ``stepped-wedge``, ``smart``, ``observational``).

    Sizes not used by a design must be ``None`` or left out.

    >>> make_design("stepped-wedge", sites=24, steps=4, patients=50).crossover_periods
    (1, 2, 3, 4)
    >>> make_design("crossover", sites=10)
    Traceback (most recent call last):
    ...
    facmech.errors.DesignError: `design` must be one of 'parallel', 'stepped-wedge', 'smart', ...
    """
    k = DesignKind.parse(kind)
    cls = {DesignKind.PARALLEL: ParallelCRT, DesignKind.STEPPED_WEDGE: SteppedWedge,
           DesignKind.SMART: SMART, DesignKind.OBSERVATIONAL: Observational}[k]
    args = {key: v for key, v in sizes.items() if v is not None}
    allowed = set(cls.__dataclass_fields__)
    for key in args:
        if key not in allowed:
            raise DesignError(
                f"`{key}` does not apply to the {k.value} design; it takes "
                f"{', '.join(sorted(allowed))}"
            )
    if "sites" not in args:
        raise DesignError(f"the {k.value} design needs `sites`")
    if "patients" not in args:
        args["patients"] = 20
    if cls is SteppedWedge and "steps" not in args and "periods" not in args:
        raise DesignError("the stepped-wedge design needs `steps` or `periods` (steps default to "
                          "periods - 1, as in swCRTdesign)")
    return cls(**args)


def load_design(name_or_path: str) -> Design:
    """The ``design:`` block of a scenario YAML (built-in name or path) as a :class:`Design`.

    >>> load_design("zambia").sites
    24
    """
    from facmech.simulation.scenario import read_scenario_file

    data, source = read_scenario_file(name_or_path)
    block = data.get("design")
    if not isinstance(block, dict) or "type" not in block:
        raise DesignError(
            f"scenario file {source!r} has no `design:` block with a `type` (parallel | "
            "stepped-wedge | smart | observational)"
        )
    block = dict(block)
    return make_design(block.pop("type"), **block)


def resolve_design(kind: str | DesignKind | None = None, *, scenario_file: str | None = None,
                   **sizes: Any) -> Design:
    """The design to simulate: the scenario file's ``design:`` block with ``sizes`` overriding it,
    or, with ``kind``, that design built from ``sizes`` (missing sizes taken from the file's block:
    all of them when it is the same kind, else ``sites`` and ``patients``).

    >>> resolve_design(scenario_file="zambia", patients=10).patients
    10
    >>> resolve_design("parallel", sites=12).to_dict()["sites"]
    12
    """
    given = {k: v for k, v in sizes.items() if v is not None}
    base: Design | None = None
    if scenario_file is not None:
        from facmech.simulation.scenario import read_scenario_file

        data, _ = read_scenario_file(scenario_file)
        if isinstance(data.get("design"), dict):
            base = load_design(scenario_file)
    if kind is None:
        if base is None:
            raise DesignError(
                "no design: give `design` (parallel | stepped-wedge | smart | observational) or a "
                "scenario file with a `design:` block"
            )
        fields_ = set(base.__dataclass_fields__)  # type: ignore[attr-defined]
        for key in given:
            if key not in fields_:
                raise DesignError(
                    f"`{key}` does not apply to the {base.name} design; it takes "
                    f"{', '.join(sorted(fields_))}"
                )
        if isinstance(base, SteppedWedge) and "steps" in given and "periods" not in given:
            given["periods"] = given["steps"] + 1
        return replace(base, **given) if given else base
    k = DesignKind.parse(kind)
    if base is not None and base.name == k.value:
        merged = {**base.to_dict(), **given}
        merged.pop("type")
        if k is DesignKind.STEPPED_WEDGE and "steps" in given and "periods" not in given:
            merged["periods"] = given["steps"] + 1
        return make_design(k, **merged)
    if base is not None:  # another kind: keep the file's sites and patients unless given
        for key in ("sites", "patients"):
            given.setdefault(key, getattr(base, key))
    return make_design(k, **given)
