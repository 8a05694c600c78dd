"""Analysis-plan reports: :func:`plan` turns a mechanism map and a hypothesized path into a study's
analysis plan (self-contained HTML or Markdown).

* :func:`plan` -> :class:`PlanReport` (``to_html()``, ``to_markdown()``, ``save(path)``).
* :func:`power_curve` / :class:`PowerAssumptions`: power for the path and the total effect against
  the number of sites.
* :func:`measurement_schedule`: what to measure, with instruments, and when.
"""

from facmech.report.measurement import measurement_schedule
from facmech.report.plan import PlanReport, plan
from facmech.report.power_curve import PowerAssumptions, PowerCurve, plot_power_curve, power_curve

__all__ = [
    "PlanReport",
    "PowerAssumptions",
    "PowerCurve",
    "measurement_schedule",
    "plan",
    "plot_power_curve",
    "power_curve",
]
