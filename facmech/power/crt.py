r"""Power of a parallel cluster-randomized trial (total effect), via the design effect.

With :math:`J` clusters of :math:`m` patients, half randomized to each arm, an outcome of total
standard deviation :math:`\sigma` and intraclass correlation :math:`\rho`, the difference in arm
means
has variance

.. math:: \operatorname{Var}(\hat\delta) = \frac{4 \sigma^2}{J m} \, \mathrm{DE}, \qquad
          \mathrm{DE} = 1 + (m - 1)\rho

(Donner & Klar 2000; Killip, Mahfoud & Pearce 2004, Ann Fam Med 2:204-208). This is the same
standard
error as PowerUpR's ``power.cra2r2`` with ``p = 0.5`` and no covariates:
:math:`\sqrt{\rho/(p(1-p)J) + (1-\rho)/(p(1-p)Jn)}` in SD units.

The reference distribution is a choice (:class:`Reference`): ``"between"`` (default) uses a
noncentral
t with :math:`J - 2` degrees of freedom, as PowerUpR does and as a cluster-level analysis needs;
``"effective"`` uses :math:`N/\mathrm{DE} - 2` (the effective-sample-size two-sample t-test of
Killip
et al.); ``"normal"`` uses the large-sample z test.
"""

from __future__ import annotations

import math

from scipy import stats

from facmech._choice import DesignChoice
from facmech._deprecation import renamed
from facmech.errors import DesignError
from facmech.power._common import (
    check_alpha,
    check_count,
    check_icc,
    check_real,
    two_sided_power,
)
from facmech.power.results import PowerResult

__all__ = ["Reference", "crt_mdes", "crt_power", "design_effect"]


class Reference(DesignChoice):
    """Reference distribution of the test statistic in :func:`crt_power`."""

    BETWEEN = "between"
    EFFECTIVE = "effective"
    NORMAL = "normal"


@renamed(cluster_size="patients")
def design_effect(patients: int, icc: float) -> float:
    """Variance inflation ``1 + (m - 1) icc`` of cluster randomization with ``m`` patients per
    site (``patients``, formerly ``cluster_size``).

    Examples
    --------
    Killip, Mahfoud & Pearce (2004), ICC 0.017, 10 per site:

    >>> round(design_effect(10, 0.017), 3)
    1.153
    """
    m = check_count("patients", patients)
    rho = check_icc(icc)
    return 1.0 + (m - 1) * rho


def _crt_se(sites: int, patients: int, icc: float, sd: float) -> tuple[float, float]:
    de = design_effect(patients, icc)
    return sd * math.sqrt(4.0 * de / (sites * patients)), de


def _crt_df(reference: Reference, sites: int, patients: int, de: float) -> float | None:
    if reference is Reference.NORMAL:
        return None
    if reference is Reference.BETWEEN:
        return float(sites - 2)
    return sites * patients / de - 2.0


def _check_sites(sites: object) -> int:
    j = check_count("sites", sites, minimum=4)
    if j % 2:
        raise DesignError(f"`sites` must be even (half per arm) (got {j})")
    return j


@renamed(clusters="sites", cluster_size="patients")
def crt_power(
    *,
    sites: int,
    patients: int,
    effect: float,
    icc: float,
    sd: float = 1.0,
    alpha: float = 0.05,
    reference: Reference | str = Reference.BETWEEN,
) -> PowerResult:
    """Power of a two-arm parallel cluster-randomized trial, half the sites per arm.

    Parameters
    ----------
    sites : int
        Total number of sites (clusters), even, at least 4 (formerly ``clusters``).
    patients : int
        Patients per site (formerly ``cluster_size``).
    effect : float
        Difference in means between arms, in outcome units.
    icc : float
        Intraclass correlation of the outcome, in [0, 1).
    sd : float, default 1.0
        Total standard deviation of the outcome (between plus within sites).
    alpha : float, default 0.05
        Two-sided significance level.
    reference : {"between", "effective", "normal"}, default "between"
        Reference distribution (see the module docstring).

    Returns
    -------
    PowerResult
        ``power``, ``std_error``, ``df`` and ``design_effect``.

    Examples
    --------
    PowerUpR ``power.cra2(es = .629, rho2 = .17, n = 15, J = 20)`` gives 0.80:

    >>> r = crt_power(sites=20, patients=15, effect=0.629, icc=0.17)
    >>> round(r.power, 2), r.df
    (0.8, 18.0)
    """
    j = _check_sites(sites)
    m = check_count("patients", patients)
    delta = check_real("effect", effect)
    s = check_real("sd", sd, positive=True)
    a = check_alpha(alpha)
    ref = Reference.parse(reference)
    se, de = _crt_se(j, m, check_icc(icc), s)
    df = _crt_df(ref, j, m, de)
    if df is not None and df < 1:
        raise DesignError(f"too few patients for the `effective` reference (df = {df:g})")
    label = {
        Reference.BETWEEN: "noncentral t, df = sites - 2",
        Reference.EFFECTIVE: "noncentral t, df = effective sample size - 2",
        Reference.NORMAL: "normal approximation",
    }[ref]
    return PowerResult(
        power=two_sided_power(delta, se, df=df, alpha=a),
        std_error=se,
        effect=delta,
        alpha=a,
        df=df,
        method=f"parallel cluster trial, design effect; {label}",
        design_effect=de,
    )


@renamed(clusters="sites", cluster_size="patients")
def crt_mdes(
    *,
    sites: int,
    patients: int,
    icc: float,
    power: float = 0.8,
    sd: float = 1.0,
    alpha: float = 0.05,
) -> float:
    r"""Minimum detectable effect (outcome units) of a parallel cluster trial.

    Uses the usual multiplier :math:`M = t_{1-\alpha/2, J-2} + t_{\text{power}, J-2}` times the
    standard
    error (Bloom 1995), as PowerUpR's ``mdes.cra2r2`` does.

    Examples
    --------
    PowerUpR ``mdes.cra2(rho2 = .17, n = 15, J = 20)`` = 0.629:

    >>> round(crt_mdes(sites=20, patients=15, icc=0.17), 3)
    0.629
    """
    j = _check_sites(sites)
    m = check_count("patients", patients)
    s = check_real("sd", sd, positive=True)
    a = check_alpha(alpha)
    target = check_real("power", power)
    if not 0 < target < 1:
        raise DesignError(f"`power` must be in (0, 1) (got {target:g})")
    se, _ = _crt_se(j, m, check_icc(icc), s)
    df = j - 2
    t1 = stats.t.ppf(1 - a / 2, df)
    t2 = abs(stats.t.ppf(target, df))
    mult = t1 + t2 if target >= 0.5 else t1 - t2
    return float(mult * se)
