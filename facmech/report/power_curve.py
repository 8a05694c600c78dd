r"""Power against the number of sites for a hypothesized path and for the total effect.

An analysis plan must show that the trial can detect the mechanism, not only the total effect. The
effect sizes are assumptions the investigator states (:class:`PowerAssumptions`, standardized
units): the path's first link :math:`a` (strategy -> first mechanism), the rest of the path
:math:`b` (the product of the remaining links, in outcome SD per mechanism SD) and the effect through
all other routes :math:`c'`. The path effect is :math:`ab` and the total effect :math:`ab + c'`.

* Total effect: closed forms: a parallel cluster trial through the design effect
  (:func:`facmech.power.crt_power`, between-cluster t reference) and a cross-sectional stepped
  wedge by Hussey & Hughes (2007) (:func:`facmech.power.stepped_wedge_power`).
* Path: the path is powered as one site-level mediator with paths :math:`a` and :math:`b` (the
  2-2-1 design of Kelcey, Dong, Spybrook et al. 2017, :func:`facmech.power.mediation_221_power`,
  joint-significance test) for a parallel trial. A stepped wedge has no closed form for an
  indirect effect; there the curve comes from Monte Carlo design studies
  (:func:`facmech.design.design_study`) of the same linear model. Treating a chain of several
  estimated links as one mediator is optimistic (every extra estimated link adds sampling error), and
  the report says so.

>>> c = power_curve(sites=(12, 24), design="parallel", assumptions=PowerAssumptions())
>>> c.frame.pivot(index="sites", columns="estimand", values="power").round(2)
estimand  path  total
sites
12        0.09   0.19
24        0.28   0.36
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from facmech._random import SeedLike
from facmech.design.model import TrialDesign
from facmech.errors import DesignError
from facmech.power import crt_power, mediation_221_power, stepped_wedge_power

__all__ = ["PowerAssumptions", "PowerCurve", "plot_power_curve", "power_curve"]


def _check(name: str, value: float, *, low: float, high: float, open_low: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < low or v > high or (open_low and v == low):
        raise DesignError(f"`{name}` must be in {'(' if open_low else '['}{low:g}, {high:g}] (got {value!r})")
    return v


@dataclass(frozen=True)
class PowerAssumptions:
    """Effect sizes and trial dimensions a power curve assumes (standardized units).

    Parameters
    ----------
    first_link : float, default 0.6
        Effect of the strategy on the path's first mechanism (mechanism SD units).
    rest_of_path : float, default 0.25
        Product of the path's remaining coefficients: outcome SD per SD of the first mechanism.
        A site-level mechanism can only move the between-site part of the outcome, so
        ``rest_of_path ** 2`` must stay well below ``icc`` in a parallel trial (the 2-2-1 formulas
        raise :class:`~facmech.errors.DesignError` otherwise).
    other_routes : float, default 0.15
        Effect of the strategy on the outcome through every route other than the path (outcome SD).
    icc : float, default 0.15
        Intraclass correlation of the outcome, in (0, 1). For a parallel trial it is the
        unconditional ICC of the 2-2-1 formulas (PowerUpR's ``rho2``, which includes the
        between-site variance the strategy and the mechanism explain); for a stepped wedge the ICC
        of the residual, :math:`\\tau^2 / (\\tau^2 + \\sigma_e^2)` (Hussey & Hughes 2007).
    patients : int, default 20
        Patients per site and period.
    steps : int, default 4
        Crossover steps of a stepped wedge (periods = steps + 1).
    alpha : float, default 0.05
        Two-sided significance level.
    reps : int, default 200
        Monte Carlo replicates per number of sites, where no closed form exists.
    """

    first_link: float = 0.6
    rest_of_path: float = 0.25
    other_routes: float = 0.15
    icc: float = 0.15
    patients: int = 20
    steps: int = 4
    alpha: float = 0.05
    reps: int = 200

    def __post_init__(self) -> None:
        _check("first_link", self.first_link, low=-5, high=5)
        _check("rest_of_path", self.rest_of_path, low=-5, high=5)
        _check("other_routes", self.other_routes, low=-5, high=5)
        _check("icc", self.icc, low=0, high=0.999, open_low=True)
        _check("alpha", self.alpha, low=0, high=0.5, open_low=True)
        for name in ("patients", "steps", "reps"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise DesignError(f"`{name}` must be a positive integer (got {v!r})")
        if self.reps < 10:
            raise DesignError(f"`reps` must be at least 10 (got {self.reps})")

    @property
    def path_effect(self) -> float:
        """The path's effect :math:`ab` (outcome SD)."""
        return self.first_link * self.rest_of_path

    @property
    def total_effect(self) -> float:
        """The total effect :math:`ab + c'` (outcome SD)."""
        return self.path_effect + self.other_routes

    def to_dict(self) -> dict[str, float | int]:
        """Every field, plus the implied path and total effects."""
        return {**asdict(self), "path_effect": self.path_effect, "total_effect": self.total_effect}


@dataclass(frozen=True)
class PowerCurve:
    """Power by number of sites: ``frame`` has columns sites, estimand (path, total), effect,
    power, method."""

    design: TrialDesign
    assumptions: PowerAssumptions
    frame: pd.DataFrame = field(repr=False)

    def sites_for(self, estimand: str, target: float = 0.8) -> int | None:
        """The fewest sites in the curve reaching ``target`` power for ``estimand`` (None if none).

        >>> c = power_curve(sites=(12, 24, 48, 96), design="parallel")
        >>> c.sites_for("total"), c.sites_for("total", target=0.5)
        (96, 48)
        """
        rows = self.frame[(self.frame["estimand"] == estimand) & (self.frame["power"] >= target)]
        return None if rows.empty else int(rows["sites"].min())


#: Most sites a power curve takes (beyond any multisite trial; its design matrices grow with it).
MAX_SITES = 100_000


def _sites(sites: Sequence[int], design: TrialDesign, steps: int) -> tuple[int, ...]:
    if isinstance(sites, int):
        sites = (sites,)
    out = tuple(sorted(set(int(s) for s in sites)))
    if not out:
        raise DesignError("`sites` is empty; give numbers of sites such as (12, 24, 36)")
    for s in out:
        if s > MAX_SITES:
            raise DesignError(f"`sites` must be at most {MAX_SITES:,} for a power curve (got {s:,})")
        if design is TrialDesign.PARALLEL and (s < 6 or s % 2):
            raise DesignError(f"`sites` must be even and at least 6 for a parallel trial (got {s})")
        if design is TrialDesign.STEPPED_WEDGE and s < max(steps, 4):
            raise DesignError(
                f"`sites` must be at least max(steps, 4) = {max(steps, 4)} for a stepped wedge (got {s})"
            )
    return out


def power_curve(
    *,
    sites: Sequence[int],
    design: TrialDesign | str = "stepped-wedge",
    assumptions: PowerAssumptions | None = None,
    seed: SeedLike = 0,
) -> PowerCurve:
    """Power for the path and for the total effect at each number of sites.

    Parameters
    ----------
    sites : sequence of int
        Numbers of sites to evaluate.
    design : {"parallel", "stepped-wedge"}
        Randomization design.
    assumptions : PowerAssumptions, optional
        Effect sizes and trial dimensions (defaults documented on the class).
    seed : int, Generator or None
        Seed of the Monte Carlo design study (stepped-wedge path curve only).

    Returns
    -------
    PowerCurve
    """
    d = TrialDesign.parse(design)
    a = assumptions if assumptions is not None else PowerAssumptions()
    if not isinstance(a, PowerAssumptions):
        raise DesignError(f"`assumptions` must be a PowerAssumptions (got {type(a).__name__})")
    grid = _sites(sites, d, a.steps)
    rows: list[dict[str, object]] = []
    for s in grid:
        if d is TrialDesign.PARALLEL:
            tot = crt_power(sites=s, patients=a.patients, effect=a.total_effect, icc=a.icc,
                            alpha=a.alpha)
            med = mediation_221_power(a=a.first_link, b=a.rest_of_path, cprime=a.other_routes,
                                      icc=a.icc, sites=s, patients=a.patients,
                                      alpha=a.alpha, mc_sims=0)
            rows.append(dict(sites=s, estimand="path", effect=a.path_effect,
                             power=med.indirect["ab"].joint,
                             method="path: 2-2-1 closed form, joint significance "
                             "(Kelcey, Dong, Spybrook et al. 2017)"))
        else:
            tot = stepped_wedge_power(sites=s, steps=a.steps, patients=a.patients,
                                      effect=a.total_effect, icc=a.icc, alpha=a.alpha)
        total_method = ("total: design effect 1 + (m - 1) ICC, t test on sites" if d is
                        TrialDesign.PARALLEL else "total: Hussey & Hughes (2007) closed form")
        rows.append(dict(sites=s, estimand="total", effect=a.total_effect, power=tot.power,
                         method=total_method))
    if d is TrialDesign.STEPPED_WEDGE:
        rows.extend(_stepped_wedge_path(grid, a, seed))
    frame = pd.DataFrame(rows, columns=["sites", "estimand", "effect", "power", "method"])
    frame = frame.sort_values(["estimand", "sites"], kind="stable").reset_index(drop=True)
    return PowerCurve(d, a, frame)


def _stepped_wedge_path(grid: tuple[int, ...], a: PowerAssumptions, seed: SeedLike) -> list[dict]:
    """Monte Carlo power of the path in a stepped wedge (facmech.design), one row per site count."""
    from facmech.design import Analysis, LinearTrial, Mediator, design_study

    trial = LinearTrial(design="stepped-wedge", sites=grid[0], steps=a.steps, patients=a.patients,
                        icc=a.icc, effect=a.other_routes,
                        mediators=(Mediator("path", a=a.first_link, b=a.rest_of_path),))
    study = design_study(trial, grid={"sites": list(grid)}, reps=a.reps, seed=seed,
                         analysis=Analysis(parts=("mediation",), alpha=a.alpha), progress=False)
    res = study.to_frame()
    res = res[res["estimand"] == "indirect:path"]
    return [
        dict(sites=int(r.sites), estimand="path", effect=a.path_effect, power=float(r.power),
             method=f"path: Monte Carlo design study, {a.reps} simulated trials per number of "
             "sites, product-of-coefficients test")
        for r in res.itertuples()
    ]


def plot_power_curve(curve: PowerCurve, *, ax=None, target: float = 0.8):
    """Power against sites, one line per estimand, with the target power as a dashed line."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    styles = {"total": ("#2b6cb0", "o", "total effect"), "path": ("#b44b1e", "s", "hypothesized path")}
    for est, (color, marker, label) in styles.items():
        sub = curve.frame[curve.frame["estimand"] == est]
        if sub.empty:
            continue
        eff = float(sub["effect"].iloc[0])
        ax.plot(sub["sites"], sub["power"], marker=marker, color=color, lw=2,
                label=f"{label} ({eff:.3g} SD)")
    ax.axhline(target, color="0.4", ls="--", lw=1)
    ax.text(ax.get_xlim()[0], target + 0.015, f" {target:.0%} power", color="0.35", fontsize=9)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(sorted(curve.frame["sites"].unique()))
    ax.set_xlabel("number of sites")
    ax.set_ylabel(f"power (two-sided α = {curve.assumptions.alpha:g})")
    ax.set_title(f"{curve.design.value} trial, {curve.assumptions.patients} patients per site-period, "
                 f"ICC {curve.assumptions.icc:g}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    return fig
