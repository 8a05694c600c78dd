"""Inference for mediation effects: covariance estimators and resampling schemes as objects.

Covariance estimators (:class:`Classical`, :class:`Robust`, :class:`Clustered` with CR0/CR1/CR2
and between-within degrees of freedom) are those of :mod:`facmech.estimation.covariance`,
re-exported here; they give the joint sampling covariance of all models' coefficients, stacked as
:math:`\\theta = (\\beta_{M_1}, \\dots, \\beta_{M_k}, \\beta_Y)`, so cross-model covariance from
shared sites is kept.

Resampling schemes: :class:`MonteCarlo` (quasi-Bayesian draws of the coefficients pushed through the
closed-form effect formulas, as R ``mediation`` does; Imai, Keele & Tingley 2010) and
:class:`Bootstrap` (sites resampled with replacement within strata of identical treatment sequence,
i.e. within arm in a parallel trial; all refits batched), which lives in
:mod:`facmech.estimation.resampling`, shared with the g-methods.

>>> MonteCarlo(draws=500).draws
500
>>> Clustered(small_sample="cr2").small_sample
<SmallSample.CR2: 'cr2'>
"""

from __future__ import annotations

from dataclasses import dataclass

from facmech._validation import check_int
from facmech.estimation.covariance import (
    Classical,
    Clustered,
    Covariance,
    ModelPieces,
    Robust,
    SmallSample,
)
from facmech.estimation.resampling import Bootstrap

__all__ = [
    "Bootstrap",
    "Classical",
    "Clustered",
    "Covariance",
    "ModelPieces",
    "MonteCarlo",
    "Robust",
    "SmallSample",
]


@dataclass(frozen=True)
class MonteCarlo:
    """Quasi-Bayesian Monte Carlo: coefficients drawn from their (joint) sampling distribution.

    Parameters
    ----------
    draws : int
        Number of draws (default 1000).
    covariance : Classical | Robust | Clustered, optional
        Default: :class:`Clustered` when ``site`` is given, else ``Robust("HC3")``.
    """

    draws: int = 1000
    covariance: Classical | Robust | Clustered | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "draws", check_int(self.draws, argument="draws", minimum=2))

    def resolved_covariance(self, has_cluster: bool) -> Classical | Robust | Clustered:
        if self.covariance is not None:
            return self.covariance
        return Clustered() if has_cluster else Robust("HC3")

    def describe(self, n_clusters: int | None, df: float | None = None) -> str:
        cov = self.resolved_covariance(n_clusters is not None)
        return f"quasi-Bayesian Monte Carlo ({self.draws} draws), {cov.describe(n_clusters, df)}"
