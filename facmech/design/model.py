r"""A linear-Gaussian multisite trial: the data-generating model of fast design studies.

:class:`LinearTrial` describes a cluster-randomized trial (parallel or stepped wedge) in which the
strategy (facilitation, exposure :math:`X_{ij}` of site :math:`i` in period :math:`j`) moves
site-level mechanisms (mediators) that in turn move a patient-level outcome:

.. math::
   M_{kij} &= a_k X_{ij} + \sqrt{\rho_M}\, u_{ki} + \sqrt{1-\rho_M}\, e_{kij} + \gamma C_{ij} \\
   M^*_{kij} &= M_{kij} + \sigma_{me}\, \epsilon_{kij} \\
   Y_{ijl} &= \beta_j + c' X_{ij} + \textstyle\sum_k b_k M_{kij} + \gamma C_{ij} + \alpha_i
             + e_{ijl}, \quad \alpha_i \sim N(0, \rho), \; e_{ijl} \sim N(0, 1 - \rho)

with :math:`C_{ij} \sim N(0, 1)` an unmeasured common cause of the mediators and the outcome
(``confounding`` :math:`= \gamma`), :math:`M^*` the mediators as measured (``measurement_error``
:math:`= \sigma_{me}`) and :math:`\beta_j = 0.1 j` a secular trend. Patients are cross-sectional,
``patients`` per site and period; because the model is linear and Gaussian, the site-period mean of
the outcome is generated directly from its exact distribution
(:math:`\bar e_{ij} \sim N(0, (1-\rho)/m)`), which is what the batched estimators use.

True effects (on the outcome scale): total :math:`c' + \sum_k a_k b_k`, direct :math:`c'`,
indirect through mediator :math:`k` :math:`a_k b_k`.

>>> t = LinearTrial(design="stepped-wedge", sites=12, steps=3, patients=10, icc=0.05, effect=0.1,
...                 mediators=(Mediator("leadership_engagement", a=0.5, b=0.4),))
>>> t.exposure().shape, round(t.truth()["total"], 2)
((12, 4), 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from facmech._choice import DesignChoice
from facmech.errors import DesignError
from facmech.power._common import check_count, check_icc, check_real
from facmech.power.stepped_wedge import stepped_wedge_design

__all__ = ["GRID_PARAMETERS", "LinearTrial", "Mediator", "TrialDesign", "TrialModel"]


@runtime_checkable
class TrialModel(Protocol):
    """What a design study needs from a data-generating model (e.g. :class:`LinearTrial`)."""

    @property
    def mediator_names(self) -> tuple[str, ...]:
        """Measured site-level mediators, in the order :meth:`draw` returns them."""
        ...

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One trial: exposure ``(I, T)``, outcome site-period means ``(I, T)``, measured
        mediators ``(K, I, T)``."""
        ...

    def truth(self) -> dict[str, float]:
        """True value of every estimand."""
        ...


class TrialDesign(DesignChoice):
    """Randomization design of a :class:`LinearTrial` (``stepped_wedge`` accepted too).

    >>> TrialDesign.parse("stepped_wedge")
    <TrialDesign.STEPPED_WEDGE: 'stepped-wedge'>
    """

    PARALLEL = "parallel"
    STEPPED_WEDGE = "stepped-wedge"

    @classmethod
    def hint(cls, text: str) -> str:
        if text != "smart":
            return ""
        return (" The linear trial model has no SMART; SMART design studies run on a map "
                "scenario, e.g. MapTrial('aim') or `facmech power --scenario aim`.")

    @classmethod
    def parse(  # type: ignore[override]
        cls, value: object, *, argument: str = "design"
    ) -> TrialDesign:
        return super().parse(value, argument=argument)  # type: ignore[return-value]


@dataclass(frozen=True)
class Mediator:
    """A site-level mechanism: path ``a`` (exposure -> mediator) and ``b`` (mediator -> outcome)."""

    name: str
    a: float
    b: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise DesignError(f"mediator `name` must be an identifier (got {self.name!r})")
        object.__setattr__(self, "a", check_real("a", self.a))
        object.__setattr__(self, "b", check_real("b", self.b))


#: Parameters a design-study grid may vary (``a`` and ``b`` set every mediator's path).
GRID_PARAMETERS = (
    "design",
    "sites",
    "steps",
    "periods",
    "patients",
    "icc",
    "icc_m",
    "effect",
    "a",
    "b",
    "confounding",
    "measurement_error",
)


@dataclass(frozen=True)
class LinearTrial:
    """A parallel or stepped-wedge multisite trial with site-level mediators (see module docstring).

    Parameters
    ----------
    design : {"parallel", "stepped-wedge"}
        Parallel: half the sites treated throughout. Stepped wedge: sites cross over evenly over
        ``steps`` times after one baseline period.
    sites : int
        Number of sites (even for a parallel trial).
    steps : int
        Crossover times of a stepped wedge (ignored for parallel).
    periods : int, optional
        Measurement periods; default ``steps + 1`` (stepped wedge) or 1 (parallel).
    patients : int
        Patients measured per site and period.
    icc : float
        Outcome intraclass correlation (residual variance 1), in [0, 1).
    icc_m : float
        Share of a mediator's residual variance that is a stable site effect, in [0, 1).
    effect : float
        Direct effect :math:`c'` of the strategy on the outcome.
    mediators : tuple of Mediator
        The mechanisms, each with its ``a`` and ``b`` paths.
    confounding : float
        Strength :math:`\\gamma` of an unmeasured site-period cause of mediators and outcome.
    measurement_error : float
        SD of classical measurement error in the measured mediators.
    """

    design: TrialDesign | str = TrialDesign.STEPPED_WEDGE
    sites: int = 24
    steps: int = 4
    periods: int | None = None
    patients: int = 20
    icc: float = 0.05
    icc_m: float = 0.5
    effect: float = 0.0
    mediators: tuple[Mediator, ...] = field(default=())
    confounding: float = 0.0
    measurement_error: float = 0.0

    def __post_init__(self) -> None:
        design = TrialDesign.parse(self.design)
        object.__setattr__(self, "design", design)
        sites = check_count("sites", self.sites, minimum=2)
        steps = check_count("steps", self.steps)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "steps", steps)
        default_periods = steps + 1 if design is TrialDesign.STEPPED_WEDGE else 1
        periods = default_periods if self.periods is None else check_count("periods", self.periods)
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "patients", check_count("patients", self.patients))
        object.__setattr__(self, "icc", check_icc(self.icc))
        object.__setattr__(self, "icc_m", check_icc(self.icc_m, name="icc_m"))
        object.__setattr__(self, "effect", check_real("effect", self.effect))
        object.__setattr__(self, "confounding", check_real("confounding", self.confounding))
        me = check_real("measurement_error", self.measurement_error)
        if me < 0:
            raise DesignError(f"`measurement_error` must be >= 0 (got {me:g})")
        object.__setattr__(self, "measurement_error", me)
        meds = tuple(self.mediators)
        if not all(isinstance(m, Mediator) for m in meds):
            raise DesignError("`mediators` must be a tuple of Mediator(name, a, b)")
        names = [m.name for m in meds]
        if len(set(names)) != len(names):
            raise DesignError(f"mediator names must be unique (got {names})")
        object.__setattr__(self, "mediators", meds)
        if design is TrialDesign.PARALLEL:
            if sites < 4 or sites % 2:
                raise DesignError(
                    f"`sites` must be even and at least 4 for a parallel trial (got {sites})"
                )
            if sites - 2 - len(meds) < 1:
                raise DesignError(
                    f"too few `sites` ({sites}) for {len(meds)} mediators in a parallel trial"
                )
        else:
            stepped_wedge_design(sites, steps, periods)  # validates steps <= sites, periods

    def exposure(self) -> np.ndarray:
        """The ``sites x periods`` 0/1 exposure matrix (first half of sites treated if parallel)."""
        if self.design is TrialDesign.PARALLEL:
            treated = np.arange(self.sites) < self.sites // 2
            return np.repeat(treated[:, None], self.periods, axis=1).astype(int)
        return stepped_wedge_design(self.sites, self.steps, self.periods)

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One simulated trial: exposure ``(I, T)``, outcome means ``(I, T)``, mediators ``(K, I, T)``.

        Draw order (fixed, so a replicate's stream fully determines its data): confounder, mediator
        site effects, mediator noise, measurement error, outcome site effects, outcome mean noise.
        """
        x = self.exposure().astype(float)
        n_i, n_t = x.shape
        k = len(self.mediators)
        a = np.array([m.a for m in self.mediators]).reshape(k, 1, 1)
        b = np.array([m.b for m in self.mediators]).reshape(k, 1, 1)
        conf = rng.standard_normal((n_i, n_t))
        u = rng.standard_normal((k, n_i, 1))
        e = rng.standard_normal((k, n_i, n_t))
        me = rng.standard_normal((k, n_i, n_t))
        m_true = (
            a * x
            + np.sqrt(self.icc_m) * u
            + np.sqrt(1 - self.icc_m) * e
            + self.confounding * conf
        )
        m_obs = m_true + self.measurement_error * me
        alpha = np.sqrt(self.icc) * rng.standard_normal((n_i, 1))
        noise = np.sqrt((1 - self.icc) / self.patients) * rng.standard_normal((n_i, n_t))
        trend = 0.1 * np.arange(n_t)
        y = trend + self.effect * x + (b * m_true).sum(axis=0) + self.confounding * conf + alpha
        return x, y + noise, m_obs

    @property
    def mediator_names(self) -> tuple[str, ...]:
        """Names of the mediators, in order."""
        return tuple(m.name for m in self.mediators)

    def truth(self) -> dict[str, float]:
        """True total, direct and per-mediator indirect effects (``indirect:<name>``; with several
        mediators also the joint ``indirect``, their sum)."""
        out = {"total": self.effect + sum(m.a * m.b for m in self.mediators)}
        if self.mediators:
            out["direct"] = self.effect
            for m in self.mediators:
                out[f"indirect:{m.name}"] = m.a * m.b
            if len(self.mediators) > 1:
                out["indirect"] = sum(m.a * m.b for m in self.mediators)
        return out

    def with_parameters(self, values: dict[str, Any]) -> LinearTrial:
        """A copy with grid parameters replaced (``a``/``b`` apply to every mediator)."""
        unknown = [k for k in values if k not in GRID_PARAMETERS]
        if unknown:
            raise DesignError(
                f"unknown grid parameter `{unknown[0]}`; valid parameters: "
                f"{', '.join(GRID_PARAMETERS)}"
            )
        simple = {k: v for k, v in values.items() if k not in ("a", "b")}
        default_periods = self.steps + 1 if self.design is TrialDesign.STEPPED_WEDGE else 1
        layout = ("steps" in simple) or ("design" in simple)
        if layout and "periods" not in simple and self.periods == default_periods:
            simple["periods"] = None  # keep the default "one baseline period" layout
        meds = self.mediators
        for path in ("a", "b"):
            if path in values:
                if not meds:
                    raise DesignError(f"grid parameter `{path}` needs at least one mediator")
                meds = tuple(replace(m, **{path: values[path]}) for m in meds)
        return replace(self, mediators=meds, **simple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "design": self.design.value,  # type: ignore[union-attr]
            "sites": self.sites,
            "steps": self.steps,
            "periods": self.periods,
            "patients": self.patients,
            "icc": self.icc,
            "icc_m": self.icc_m,
            "effect": self.effect,
            "mediators": [{"name": m.name, "a": m.a, "b": m.b} for m in self.mediators],
            "confounding": self.confounding,
            "measurement_error": self.measurement_error,
        }
