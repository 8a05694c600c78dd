r"""Power of a cross-sectional stepped-wedge cluster trial: Hussey & Hughes (2007).

Model (Hussey & Hughes 2007, Contemp Clin Trials 28:182-191): patient :math:`k` of cluster :math:`i`
in period :math:`j`,

.. math:: Y_{ijk} = \mu + \beta_j + \theta X_{ij} + \alpha_i + e_{ijk}, \quad
          \alpha_i \sim N(0, \tau^2), \; e_{ijk} \sim N(0, \sigma_e^2),

analysed on cluster-period means with :math:`\sigma^2 = \sigma_e^2 / m`. For the :math:`I \times T`
0/1 design :math:`X`, with :math:`U = \sum_{ij} X_{ij}`, :math:`W = \sum_j (\sum_i X_{ij})^2` and
:math:`V = \sum_i (\sum_j X_{ij})^2`, the GLS estimator of :math:`\theta` has variance

.. math:: \operatorname{Var}(\hat\theta) = \frac{I \sigma^2 (\sigma^2 + T \tau^2)}
          {(I U - W) \sigma^2 + (U^2 + I T U - T W - I V) \tau^2}

and the power of the two-sided level-:math:`\alpha` Wald test is
:math:`\Phi(|\theta|/se - z_{1-\alpha/2}) + \Phi(-|\theta|/se - z_{1-\alpha/2})`.

For a binary outcome (as R ``swCRTdesign::swPwr`` with ``distn = "binomial"``), give the control
risk
``baseline_risk`` :math:`p_0` and ``effect`` :math:`= p_1 - p_0`: then
:math:`\sigma_e^2 = \bar\mu(1 - \bar\mu)` with :math:`\bar\mu = (p_0 + p_1)/2`, and ``tau`` is the
between-site SD of risk.
"""

from __future__ import annotations

import numpy as np

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

__all__ = ["hussey_hughes_variance", "stepped_wedge_design", "stepped_wedge_power"]


def stepped_wedge_design(sites: int, steps: int, periods: int | None = None) -> np.ndarray:
    """The ``sites x periods`` 0/1 treatment matrix of a standard stepped wedge.

    Period 0 is all-control; the sites are split as evenly as possible over ``steps`` crossover
    times (the first ``sites % steps`` groups get one site more), group ``s`` (0-based) crossing
    over at period ``s + 1``; periods after the last crossover are all-treated.

    Examples
    --------
    >>> stepped_wedge_design(4, 2)
    array([[0, 1, 1],
           [0, 1, 1],
           [0, 0, 1],
           [0, 0, 1]])
    """
    i = check_count("sites", sites)
    s = check_count("steps", steps)
    t = s + 1 if periods is None else check_count("periods", periods, minimum=2)
    if s > i:
        raise DesignError(f"`steps` ({s}) cannot exceed `sites` ({i}): each step needs a site")
    if t < s + 1:
        raise DesignError(
            f"`periods` must be at least steps + 1 = {s + 1} (one baseline period) (got {t})"
        )
    sizes = np.full(s, i // s)
    sizes[: i % s] += 1
    start = np.repeat(np.arange(1, s + 1), sizes)
    return (np.arange(t)[None, :] >= start[:, None]).astype(int)


def _tau2(tau: object) -> float:
    """The between-site variance from the SD ``tau`` (a negative SD is refused, not squared away)."""
    t = check_real("tau", tau)
    if t < 0:
        raise DesignError(f"`tau` is a standard deviation and must be >= 0 (got {t:g})")
    return t * t


def hussey_hughes_variance(design: np.ndarray, *, sigma2: float, tau2: float) -> float:
    """Closed-form GLS variance of the treatment effect (Hussey & Hughes 2007, eq. 8).

    Parameters
    ----------
    design : array of shape (I, T)
        0/1 treatment indicator per cluster and period.
    sigma2 : float
        Variance of a cluster-period mean, :math:`\\sigma_e^2 / m`.
    tau2 : float
        Between-cluster variance :math:`\\tau^2`.

    Examples
    --------
    swCRTdesign ``swPwr`` example (24 clusters, 4 steps, n = 120, risks 5% vs 3.5%, tau = 0.01):

    >>> x = stepped_wedge_design(24, 4)
    >>> v = hussey_hughes_variance(x, sigma2=0.0425 * 0.9575 / 120, tau2=0.01**2)
    >>> f"{v:.6e}"
    '2.968231e-05'
    """
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or not np.isin(x, (0.0, 1.0)).all():
        raise DesignError("`design` must be a 2-D 0/1 matrix (clusters x periods)")
    n_i, n_t = x.shape
    u = x.sum()
    w = float((x.sum(axis=0) ** 2).sum())
    v = float((x.sum(axis=1) ** 2).sum())
    denom = (n_i * u - w) * sigma2 + (u**2 + n_i * n_t * u - n_t * w - n_i * v) * tau2
    if not denom > 0:
        raise DesignError(
            "the treatment effect is not estimable from this design (it is collinear with "
            "the period and cluster effects)"
        )
    return float(n_i * sigma2 * (sigma2 + n_t * tau2) / denom)


@renamed(cluster_size="patients")
def stepped_wedge_power(
    *,
    sites: int,
    steps: int,
    periods: int | None = None,
    patients: int,
    effect: float,
    icc: float | None = None,
    sd: float | None = None,
    tau: float | None = None,
    baseline_risk: float | None = None,
    alpha: float = 0.05,
) -> PowerResult:
    """Power of a cross-sectional stepped-wedge trial (Hussey & Hughes 2007).

    Parameters
    ----------
    sites : int
        Number of sites (clusters), split as evenly as possible over the steps.
    steps : int
        Number of crossover times.
    periods : int, optional
        Number of measurement periods (default ``steps + 1``: one baseline period).
    patients : int
        Patients measured per site and period (formerly ``cluster_size``).
    effect : float
        Treatment effect: difference in means, or risk difference ``p1 - p0`` if ``baseline_risk``.
    icc : float, optional
        Intraclass correlation in [0, 1). Give exactly one of ``icc`` and ``tau``.
    sd : float, optional
        Continuous outcome only. With ``icc``: the total SD (default 1), split into
        :math:`\\tau^2 = \\rho\\, sd^2` and :math:`\\sigma_e^2 = (1-\\rho) sd^2`. With ``tau``: the
        within-site SD :math:`\\sigma_e` (default 1), as ``swPwr``'s ``sigma``.
    tau : float, optional
        Between-site SD of the outcome (of the risk, for a binary outcome).
    baseline_risk : float, optional
        Control risk :math:`p_0` of a binary outcome; :math:`\\sigma_e^2 = \\bar\\mu(1-\\bar\\mu)`.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    PowerResult
        Normal-reference power and the closed-form standard error.

    Examples
    --------
    ``swPwr(swDsn(c(6,6,6,6)), distn = "binomial", n = 120, mu0 = 0.05, mu1 = 0.035, tau = 0.01,
    eta = 0, rho = 0, gamma = 0, alpha = 0.05)`` reports power 0.786:

    >>> r = stepped_wedge_power(sites=24, steps=4, patients=120, effect=-0.015,
    ...                         tau=0.01, baseline_risk=0.05)
    >>> round(r.power, 3)
    0.786
    """
    design = stepped_wedge_design(sites, steps, periods)
    m = check_count("patients", patients)
    theta = check_real("effect", effect)
    a = check_alpha(alpha)
    if (icc is None) == (tau is None):
        raise DesignError(
            f"give exactly one of `icc` and `tau` (got icc={icc!r}, tau={tau!r})"
        )
    if baseline_risk is not None:
        if sd is not None:
            raise DesignError("`sd` applies to a continuous outcome; omit it with `baseline_risk`")
        p0 = check_real("baseline_risk", baseline_risk)
        p1 = p0 + theta
        if not (0 < p0 < 1 and 0 < p1 < 1):
            raise DesignError(
                f"`baseline_risk` and `baseline_risk + effect` must be in (0, 1) "
                f"(got {p0:g} and {p1:g})"
            )
        mu = (p0 + p1) / 2
        sigma_e2 = mu * (1 - mu)
        if tau is not None:
            tau2 = _tau2(tau)
        else:
            rho = check_icc(icc)
            tau2 = rho * sigma_e2 / (1 - rho)
        kind = f"binary outcome, p0 = {p0:g}, p1 = {p1:g}"
    else:
        s = 1.0 if sd is None else check_real("sd", sd, positive=True)
        if tau is not None:
            sigma_e2 = s**2
            tau2 = _tau2(tau)
        else:
            rho = check_icc(icc)
            tau2 = rho * s**2
            sigma_e2 = (1 - rho) * s**2
        kind = "continuous outcome"
    var = hussey_hughes_variance(design, sigma2=sigma_e2 / m, tau2=tau2)
    se = float(np.sqrt(var))
    n_i, n_t = design.shape
    return PowerResult(
        power=two_sided_power(theta, se, df=None, alpha=a),
        std_error=se,
        effect=theta,
        alpha=a,
        df=None,
        method=(
            f"stepped wedge (Hussey & Hughes 2007), {n_i} sites, {n_t} periods, "
            f"{kind}; normal approximation"
        ),
    )
