"""Analytic (closed-form) power for cluster-randomized implementation trials.

* :func:`crt_power`, :func:`crt_mdes`, :func:`design_effect`: parallel cluster trials (total
effect).
* :func:`stepped_wedge_power`, :func:`hussey_hughes_variance`: stepped-wedge trials
  (Hussey & Hughes 2007).
* :func:`mediation_221_power`, :func:`mediation_211_power`: indirect effects through a site-level or
  a patient-level mediator (Kelcey, Dong, Spybrook et al. 2017; PowerUpR), with Sobel,
  joint-significance and Monte Carlo tests.

* :func:`power_table`, :func:`plot_power_table`: closed-form power over a grid of sizes.

Simulation-based power for any design and analysis lives in :mod:`facmech.design`.

>>> from facmech.power import crt_power
>>> round(crt_power(sites=20, patients=15, effect=0.629, icc=0.17).power, 2)
0.8
"""

from facmech.power.crt import Reference, crt_mdes, crt_power, design_effect
from facmech.power.mediation_cluster import (
    mediation_211_power,
    mediation_221_power,
    monte_carlo_indirect_power,
)
from facmech.power.results import IndirectPower, MediationPowerResult, PathPower, PowerResult
from facmech.power.stepped_wedge import (
    hussey_hughes_variance,
    stepped_wedge_design,
    stepped_wedge_power,
)
from facmech.power.table import plot_power_table, power_table

__all__ = [
    "IndirectPower",
    "MediationPowerResult",
    "PathPower",
    "PowerResult",
    "Reference",
    "crt_mdes",
    "crt_power",
    "design_effect",
    "hussey_hughes_variance",
    "mediation_211_power",
    "mediation_221_power",
    "monte_carlo_indirect_power",
    "plot_power_table",
    "power_table",
    "stepped_wedge_design",
    "stepped_wedge_power",
]
