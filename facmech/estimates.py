"""Point estimates with uncertainty: re-exported from :mod:`facmech.estimation.estimate`.

>>> from facmech.estimation.estimate import Estimate as E
>>> Estimate is E
True
"""

from __future__ import annotations

from facmech.estimation.estimate import ESTIMATE_COLUMNS, Estimate, estimates_frame

__all__ = ["ESTIMATE_COLUMNS", "Estimate", "estimates_frame"]
