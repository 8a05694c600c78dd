r"""Power for indirect effects in two-level cluster-randomized trials.

Two designs, both with treatment assigned to whole sites (level 2) and the outcome measured on
patients
(level 1), in standardized units (outcome and mediator variances 1):

* **2-2-1**: a site-level mediator (say, leadership engagement measured once per site). Paths
  :math:`a` (treatment -> mediator), :math:`b` (mediator -> outcome) and :math:`c'` (direct).
  Kelcey, Dong, Spybrook & Shen (2017), *J Res Educ Eff* / *Eval Rev*:

  .. math:: \operatorname{Var}(\hat a) = \frac{1 - (R^2_{M2} + P(1-P) a^2)}{P(1-P) J}

  .. math:: \operatorname{Var}(\hat b) = \frac{\rho_2 \left[1 - \left(R^2_{Y2} +
            \frac{P(1-P)(ab + c')^2}{\rho_2} + \frac{b^2}{\rho_2}(1 - R^2_{M2} - P(1-P)a^2)
            \right)\right] + \frac{(1-\rho_2)(1 - R^2_{Y1})}{n}}
            {J\,[1 - (R^2_{M2} + P(1-P)a^2)]}

  with :math:`J - 4` degrees of freedom for both paths.

* **2-1-1**: a patient-level mediator (say, staff acceptance measured per patient) with ICC
  :math:`\rho_{M2}`. Paths :math:`a`, the within-site slope :math:`b_1`, the between-site slope
  :math:`B`; indirect effects *within* (:math:`a b_1`), *contextual* (:math:`a (B - b_1)`) and
  *between* (:math:`a B`). Kelcey, Dong, Spybrook & Cox (2017), *J Educ Behav Stat* 42:499-530;
  the variance expressions are those of PowerUpR 1.1.0 (``.se.a211``, ``.se.b1211``, ``.se.B211``),
  with df :math:`J - 4`, :math:`nJ - 3` and :math:`J - 5`.

Each path is tested with a noncentral t (PowerUpR ``.power.fun``). The indirect effect is tested by

* **Sobel**: :math:`z = ab / \sqrt{a^2 se_b^2 + b^2 se_a^2}`, normal reference;
* **joint significance**: reject when both paths are significant, power :math:`= \pi_a \pi_b`;
* **Monte Carlo interval**: for each of ``mc_sims`` simulated studies draw
  :math:`(\hat a, \hat b)` from their sampling distributions, form the Monte Carlo interval of
  :math:`\hat a \hat b` from ``mc_draws`` draws and reject when it excludes zero (Preacher & Selig
  2012). Unlike PowerUpR's ``.power.mc``, which checks only that the lower limit is above zero, the
  test is two-sided; the two agree for positive effects up to a negligible upper-tail term.
"""

from __future__ import annotations

import math

import numpy as np

from facmech._deprecation import renamed
from facmech._random import SeedLike, as_generator
from facmech.errors import DesignError
from facmech.estimation.intervals import indirect_interval, product_draws
from facmech.power._common import (
    check_alpha,
    check_count,
    check_fraction,
    check_icc,
    check_real,
    two_sided_power,
)
from facmech.power.results import IndirectPower, MediationPowerResult, PathPower

__all__ = ["mediation_211_power", "mediation_221_power", "monte_carlo_indirect_power"]


def monte_carlo_indirect_power(
    x: float,
    y: float,
    se_x: float,
    se_y: float,
    *,
    alpha: float = 0.05,
    sims: int = 1000,
    draws: int = 1000,
    seed: SeedLike = None,
) -> tuple[float, float]:
    """Power of the Monte Carlo interval test of ``x * y``, and its Monte Carlo standard error.

    All ``sims x draws`` normal draws are made at once (vectorized); the interval is
    :func:`facmech.estimation.intervals.indirect_interval`.

    Examples
    --------
    >>> p, se = monte_carlo_indirect_power(0.6, 0.2, 0.2, 0.06, sims=400, draws=400, seed=1)
    >>> 0.5 < p < 0.9 and se < 0.03
    True
    """
    sims = check_count("mc_sims", sims, minimum=10)
    draws = check_count("mc_draws", draws, minimum=10)
    rng = as_generator(seed)
    x_hat = rng.normal(x, se_x, size=(sims, 1))
    y_hat = rng.normal(y, se_y, size=(sims, 1))
    z_x = rng.standard_normal((sims, 1, draws))
    z_y = rng.standard_normal((sims, 1, draws))
    prod = product_draws(x_hat, se_x, y_hat, se_y, z_x, z_y)  # (sims, 1, draws)
    p = float(np.mean(indirect_interval(x_hat, se_x, y_hat, se_y, prod, alpha=alpha).reject))
    return p, math.sqrt(p * (1 - p) / sims)


def _indirect(
    x: float,
    y: float,
    se_x: float,
    se_y: float,
    df_x: float,
    df_y: float,
    *,
    alpha: float,
    mc_sims: int,
    mc_draws: int,
    rng: np.random.Generator,
) -> IndirectPower:
    se_sobel = math.sqrt(x**2 * se_y**2 + y**2 * se_x**2)
    if not se_sobel > 0:
        raise DesignError("both paths are zero: the indirect effect's Sobel SE is 0")
    sobel = two_sided_power(x * y, se_sobel, df=None, alpha=alpha)
    joint = two_sided_power(x, se_x, df=df_x, alpha=alpha) * two_sided_power(
        y, se_y, df=df_y, alpha=alpha
    )
    mc = mc_se = None
    if mc_sims:
        mc, mc_se = monte_carlo_indirect_power(
            x, y, se_x, se_y, alpha=alpha, sims=mc_sims, draws=mc_draws, seed=rng
        )
    return IndirectPower(x * y, se_sobel, sobel, joint, mc, mc_se)


def _feasible(name: str, variance: float) -> float:
    if not (math.isfinite(variance) and variance > 0):
        raise DesignError(
            f"design not feasible: the variance of path `{name}` is not positive "
            f"({variance:g}); the effect sizes and R-squared values imply more explained "
            "variance than exists"
        )
    return math.sqrt(variance)


def _common_checks(sites: object, patients: object, p: object, alpha: object, minimum: int):
    j = check_count("sites", sites, minimum=minimum)
    n = check_count("patients", patients)
    pp = check_fraction("p", p, closed_low=False)
    return j, n, pp, check_alpha(alpha)


def _mc_checks(mc_sims: object, mc_draws: object) -> tuple[int, int]:
    sims = check_count("mc_sims", mc_sims, minimum=0)
    if sims and sims < 10:
        raise DesignError(f"`mc_sims` must be 0 (skip) or at least 10 (got {sims})")
    return sims, check_count("mc_draws", mc_draws, minimum=10)


@renamed(clusters="sites", cluster_size="patients")
def mediation_221_power(
    *,
    a: float,
    b: float,
    cprime: float,
    icc: float,
    r2_site_y: float = 0.0,
    r2_patient_y: float = 0.0,
    r2_site_m: float = 0.0,
    sites: int,
    patients: int,
    p: float = 0.5,
    alpha: float = 0.05,
    mc_sims: int = 1000,
    mc_draws: int = 1000,
    seed: SeedLike = None,
) -> MediationPowerResult:
    """Power for the indirect effect ``a * b`` of a site-level mediator (2-2-1 design).

    Parameters mirror PowerUpR's ``power.med221``: ``a`` = ``esa``, ``b`` = ``esb``, ``cprime`` =
    ``escp``, ``icc`` = ``rho2``, ``r2_site_y`` = ``r22``, ``r2_patient_y`` = ``r21``,
    ``r2_site_m`` = ``r2m2``, ``sites`` = ``J``, ``patients`` = ``n``, ``p`` = ``p`` (``sites`` and
    ``patients`` were ``clusters`` and ``cluster_size``, deprecated aliases for one release).

    Parameters
    ----------
    a, b, cprime : float
        Standardized paths treatment -> mediator, mediator -> outcome, and the direct effect.
    icc : float
        Outcome ICC in [0, 1).
    r2_site_y, r2_patient_y, r2_site_m : float
        Variance explained by covariates: outcome at site and patient level, mediator at site level.
    sites, patients : int
        Number of sites ``J`` (at least 6) and patients per site ``n``.
    p : float, default 0.5
        Proportion of sites treated.
    alpha : float, default 0.05
        Two-sided significance level.
    mc_sims, mc_draws : int, default 1000
        Monte Carlo interval test size; ``mc_sims=0`` skips it (``monte_carlo`` is then None).
    seed : int, Generator or None
        Seed of the Monte Carlo test.

    Examples
    --------
    PowerUpR manual: ``power.med221(esa = .6596, esb = .1891, escp = .1, rho2 = .15, r22 = .52,
    r21 = .40, r2m2 = .50, n = 100, J = 40, p = .5)``:

    >>> r = mediation_221_power(a=0.6596, b=0.1891, cprime=0.1, icc=0.15, r2_site_y=0.52,
    ...                         r2_patient_y=0.40, r2_site_m=0.50, sites=40,
    ...                         patients=100, mc_sims=0)
    >>> round(r.paths["a"].std_error, 6), round(r.sobel, 4), round(r.joint, 4)
    (0.197796, 0.654, 0.8101)
    """
    j, n, pp, al = _common_checks(sites, patients, p, alpha, minimum=6)
    sims, draws = _mc_checks(mc_sims, mc_draws)
    a_ = check_real("a", a)
    b_ = check_real("b", b)
    c_ = check_real("cprime", cprime)
    rho2 = check_icc(icc)
    if rho2 == 0:
        raise DesignError("`icc` must be > 0 for a site-level mediator (2-2-1) design (got 0)")
    r22 = check_fraction("r2_site_y", r2_site_y)
    r21 = check_fraction("r2_patient_y", r2_patient_y)
    r2m2 = check_fraction("r2_site_m", r2_site_m)
    pq = pp * (1 - pp)
    resid_m = 1 - (r2m2 + pq * a_**2)
    se_a = _feasible("a", resid_m / (pq * j))
    var_b = (
        rho2 * (1 - (r22 + pq * (a_ * b_ + c_) ** 2 / rho2 + (b_**2 / rho2) * resid_m))
        + (1 - rho2) * (1 - r21) / n
    ) / (j * resid_m)
    se_b = _feasible("b", var_b)
    df = float(j - 4)
    rng = as_generator(seed)
    return MediationPowerResult(
        design="2-2-1",
        paths={
            "a": PathPower(a_, se_a, df, two_sided_power(a_, se_a, df=df, alpha=al)),
            "b": PathPower(b_, se_b, df, two_sided_power(b_, se_b, df=df, alpha=al)),
        },
        indirect={
            "ab": _indirect(
                a_, b_, se_a, se_b, df, df, alpha=al, mc_sims=sims, mc_draws=draws, rng=rng
            )
        },
        primary="ab",
        alpha=al,
        parameters={
            "a": a_, "b": b_, "cprime": c_, "icc": rho2, "r2_site_y": r22, "r2_patient_y": r21,
            "r2_site_m": r2m2, "sites": j, "patients": n, "p": pp,
        },
    )


@renamed(clusters="sites", cluster_size="patients")
def mediation_211_power(
    *,
    a: float,
    b_within: float,
    b_between: float,
    cprime: float,
    icc: float,
    icc_m: float,
    r2_site_y: float = 0.0,
    r2_patient_y: float = 0.0,
    r2_site_m: float = 0.0,
    r2_patient_m: float = 0.0,
    sites: int,
    patients: int,
    p: float = 0.5,
    alpha: float = 0.05,
    mc_sims: int = 1000,
    mc_draws: int = 1000,
    seed: SeedLike = None,
) -> MediationPowerResult:
    """Power for indirect effects of a patient-level mediator in a site-randomized trial (2-1-1).

    Parameters mirror PowerUpR's ``power.med211``: ``a`` = ``esa``, ``b_within`` = ``esb1``,
    ``b_between`` = ``esB``, ``cprime`` = ``escp``, ``icc`` = ``rho2``, ``icc_m`` = ``rhom2``,
    ``r2_site_y`` = ``r22``, ``r2_patient_y`` = ``r21``, ``r2_site_m`` = ``r2m2``,
    ``r2_patient_m`` = ``r2m1``, ``sites`` = ``J``, ``patients`` = ``n``.

    The primary indirect effect (reported by ``power``, ``sobel``, ``joint``, ``monte_carlo``) is
    the *between* effect ``a * B``, through the site mean of the mediator, which is what a
    site-level treatment can move; ``indirect`` also holds ``within`` (``a * b1``) and
    ``contextual``
    (``a * (B - b1)``).

    Examples
    --------
    PowerUpR manual: ``power.med211(esa = .4135, esb1 = .0670, esB = .3595, escp = .1, rhom2 = .3,
    rho2 = .3, r22 = .6, r21 = .6, r2m2 = .6, r2m1 = .6, n = 30, J = 80, p = .1)``:

    >>> r = mediation_211_power(a=0.4135, b_within=0.067, b_between=0.3595, cprime=0.1, icc=0.3,
    ...                         icc_m=0.3, r2_site_y=0.6, r2_patient_y=0.6, r2_site_m=0.6,
    ...                         r2_patient_m=0.6, sites=80, patients=30, p=0.1, mc_sims=0)
    >>> [round(r.indirect[k].joint, 4) for k in ("within", "contextual", "between")]
    [0.8092, 0.6638, 0.8112]
    """
    j, n, pp, al = _common_checks(sites, patients, p, alpha, minimum=7)
    sims, draws = _mc_checks(mc_sims, mc_draws)
    a_ = check_real("a", a)
    b1 = check_real("b_within", b_within)
    bb = check_real("b_between", b_between)
    c_ = check_real("cprime", cprime)
    rho2 = check_icc(icc)
    rhom2 = check_icc(icc_m, name="icc_m")
    if rhom2 == 0:
        raise DesignError("`icc_m` must be > 0: the mediator must vary between sites (got 0)")
    r22 = check_fraction("r2_site_y", r2_site_y)
    r21 = check_fraction("r2_patient_y", r2_patient_y)
    r2m2 = check_fraction("r2_site_m", r2_site_m)
    r2m1 = check_fraction("r2_patient_m", r2_patient_m)
    pq = pp * (1 - pp)
    t2m = rhom2 * (1 - r2m2 - pq * a_**2 / rhom2)
    s2m = (1 - rhom2) * (1 - r2m1)
    se_a = _feasible("a", (t2m + s2m / n) / (j * pq))
    s2y = (1 - rho2) * (1 - r21 - ((1 - rhom2) / (1 - rho2)) * b1**2 * (1 - r2m1))
    se_b1 = _feasible("b_within", s2y / ((j * n - j) * s2m))
    t2y = rho2 * (1 - r22) - pq * (a_ * bb + c_) ** 2 - (
        bb**2 * rhom2 * (1 - r2m2) / pq + bb**2 * (1 - rhom2) * (1 - r2m1) / (n * pq)
        - a_**2 * bb**2
    ) * pq
    se_bb = _feasible("b_between", (t2y + s2y / n) / (j * (t2m + s2m / n)))
    se_b2 = math.sqrt(se_bb**2 + se_b1**2)
    df_a, df_b1, df_bb = float(j - 4), float(n * j - 3), float(j - 5)
    rng = as_generator(seed)
    common = {"alpha": al, "mc_sims": sims, "mc_draws": draws, "rng": rng}
    return MediationPowerResult(
        design="2-1-1",
        paths={
            "a": PathPower(a_, se_a, df_a, two_sided_power(a_, se_a, df=df_a, alpha=al)),
            "b1": PathPower(b1, se_b1, df_b1, two_sided_power(b1, se_b1, df=df_b1, alpha=al)),
            "B": PathPower(bb, se_bb, df_bb, two_sided_power(bb, se_bb, df=df_bb, alpha=al)),
        },
        indirect={
            "within": _indirect(a_, b1, se_a, se_b1, df_a, df_b1, **common),
            "contextual": _indirect(a_, bb - b1, se_a, se_b2, df_a, df_bb, **common),
            "between": _indirect(a_, bb, se_a, se_bb, df_a, df_bb, **common),
        },
        primary="between",
        alpha=al,
        parameters={
            "a": a_, "b_within": b1, "b_between": bb, "cprime": c_, "icc": rho2,
            "icc_m": rhom2, "r2_site_y": r22, "r2_patient_y": r21, "r2_site_m": r2m2,
            "r2_patient_m": r2m1, "sites": j, "patients": n, "p": pp,
        },
    )
