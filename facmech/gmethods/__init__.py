"""g-methods for time-varying confounding: g-formula (parametric and ICE), IPW marginal structural
models and the mediational g-formula, for adaptive facilitation in multisite trials.

>>> from facmech.gmethods import gformula, msm, Stabilized, parse_strategy
>>> parse_strategy("never").name
'never'
"""

from facmech.gmethods.gformula import Method, gformula
from facmech.gmethods.msm import MSMForm, Stabilized, msm
from facmech.gmethods.results import Bootstrap, ModelInfo, StrategyResult, WeightDiagnostics
from facmech.gmethods.strategies import (
    Always,
    Dynamic,
    FromPeriod,
    Never,
    Static,
    Strategy,
    Taper,
    parse_strategy,
)

__all__ = [
    "Always",
    "Bootstrap",
    "Dynamic",
    "FromPeriod",
    "MSMForm",
    "Method",
    "ModelInfo",
    "Never",
    "Stabilized",
    "Static",
    "Strategy",
    "StrategyResult",
    "Taper",
    "WeightDiagnostics",
    "gformula",
    "msm",
    "parse_strategy",
]
