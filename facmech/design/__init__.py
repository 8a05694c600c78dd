"""Monte Carlo design studies: power, bias, RMSE and coverage of mechanism analyses, batched and
distributable.

* :class:`LinearTrial`, :class:`Mediator`: a fast linear-Gaussian parallel or stepped-wedge trial
  with site-level mediators, unmeasured confounding and mediator measurement error.
* :class:`MapTrial`: a map-based scenario of :mod:`facmech.simulation` (the vignettes) under a
  parallel, stepped-wedge or SMART design.
* :func:`design_study` -> :class:`StudyResult`: run a grid of designs on the :class:`Serial`,
  :class:`Processes` or :class:`Dask` backend, with checkpoints and a progress bar.
* :class:`Analysis`: total effect, product-of-coefficients mediation, the sustained-dose g-formula
  (:func:`ice_contrast`, batched linear ICE with a sandwich or jackknife SE) and a SMART's
  embedded regimes, fitted to all replicates of a block at once (:func:`random_intercept_fit`;
  :func:`smart_batch` pads each replicate's non-responders with weights).

Closed-form power is in :mod:`facmech.power`; the simulated power agrees with it where both apply
(tests/design).
"""

import warnings
from typing import Any

from facmech.design.analysis import Analysis, Part, analyze_batch
from facmech.design.backends import Backend, Dask, Processes, Serial
from facmech.design.checkpoint import Checkpoint
from facmech.design.estimators import Coefficients, random_intercept_fit
from facmech.design.grid import Grid
from facmech.design.map_trial import MAP_GRID_PARAMETERS, MapTrial
from facmech.design.model import GRID_PARAMETERS, LinearTrial, Mediator, TrialDesign, TrialModel
from facmech.design.results import MEASURES, StudyResult, operating_characteristics
from facmech.design.smart import smart_batch
from facmech.design.study import BLOCK, MIN_REPS, design_study
from facmech.gmethods.ice import IceFit, ice_contrast

__all__ = [
    "BLOCK",
    "GRID_PARAMETERS",
    "MAP_GRID_PARAMETERS",
    "MEASURES",
    "MIN_REPS",
    "Analysis",
    "Backend",
    "Checkpoint",
    "Coefficients",
    "Dask",
    "Grid",
    "IceFit",
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
    "ice_contrast",
    "operating_characteristics",
    "random_intercept_fit",
    "smart_batch",
]

#: Old names of :class:`Coefficients` (one record for the design-study fits; issue 11).
_DEPRECATED = {"BatchFit": "Coefficients", "SmartFit": "Coefficients"}


def __getattr__(name: str) -> Any:
    # PEP 562: deprecated aliases only, each with a warning; removed in the next release
    if name in _DEPRECATED:
        warnings.warn(
            f"facmech.design.{name} is deprecated; use facmech.design.{_DEPRECATED[name]}",
            DeprecationWarning,
            stacklevel=2,
        )
        return Coefficients
    raise AttributeError(f"module 'facmech.design' has no attribute {name!r}")
