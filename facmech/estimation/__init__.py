"""Shared estimation core, used by mediation, the g-methods, design studies and power.

- :mod:`facmech.estimation.estimate`: the :class:`~facmech.estimation.estimate.Estimate` record and
  every interval (Wald, normal or t; percentile from resampling draws), batched as ``Intervals``.
- :mod:`facmech.estimation.resampling`: the one site bootstrap within strata (frequency weights)
  and Monte Carlo draws of coefficients.
- :mod:`facmech.estimation.intervals`: the Monte Carlo interval of product-of-coefficients
  indirect effects.
- :mod:`facmech.estimation.measurement`: survey measurement error and its correction.
"""
