"""Monte Carlo design studies: power, bias, RMSE and coverage of mechanism analyses, batched and
distributable.

* :class:`LinearTrial`, :class:`Mediator`: a fast linear-Gaussian parallel or stepped-wedge trial
  with site-level mediators, unmeasured confounding and mediator measurement error.
* :class:`MapTrial`: a map-based scenario of :mod:`facmech.simulation` (the vignettes) under a
  parallel or stepped-wedge design.
* :func:`design_study` -> :class:`StudyResult`: run a grid of designs on the :class:`Serial`,
  :class:`Processes` or :class:`Dask` backend, with checkpoints and a progress bar.
* :class:`Analysis`: total effect and/or product-of-coefficients mediation, fitted to all replicates
  of a block at once (:func:`random_intercept_fit`).

Closed-form power is in :mod:`facmech.power`; the simulated power agrees with it where both apply
(tests/design).
"""

from facmech.design.analysis import Analysis, Part, analyze_batch
from facmech.design.backends import Backend, Dask, Processes, Serial
from facmech.design.checkpoint import Checkpoint
from facmech.design.estimators import BatchFit, random_intercept_fit
from facmech.design.grid import Grid
from facmech.design.map_trial import MAP_GRID_PARAMETERS, MapTrial
from facmech.design.model import GRID_PARAMETERS, LinearTrial, Mediator, TrialDesign, TrialModel
from facmech.design.results import MEASURES, StudyResult, operating_characteristics
from facmech.design.study import BLOCK, MIN_REPS, design_study

__all__ = [
    "BLOCK",
    "GRID_PARAMETERS",
    "MAP_GRID_PARAMETERS",
    "MEASURES",
    "MIN_REPS",
    "Analysis",
    "Backend",
    "BatchFit",
    "Checkpoint",
    "Dask",
    "Grid",
    "LinearTrial",
    "MapTrial",
    "Mediator",
    "Part",
    "Processes",
    "Serial",
    "StudyResult",
    "TrialDesign",
    "TrialModel",
    "analyze_batch",
    "design_study",
    "operating_characteristics",
    "random_intercept_fit",
]
