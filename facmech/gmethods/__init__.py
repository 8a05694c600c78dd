"""g-methods for time-varying confounding: g-formula (parametric and ICE), IPW marginal structural
models and the mediational g-formula, for adaptive facilitation in multisite trials.

>>> from facmech.gmethods import gformula, msm, Stabilized, parse_strategy
>>> parse_strategy("never").name
'never'
"""

from facmech.estimation.resampling import Bootstrap
from facmech.gmethods.confounders import ConfounderReport, time_varying_confounders
from facmech.gmethods.gformula import Method, gformula
from facmech.gmethods.mediation import MediationOverTime, mediational_gformula
from facmech.gmethods.msm import MSMForm, Stabilized, msm
from facmech.gmethods.naive import NaiveEstimate, naive_regression
from facmech.gmethods.options import OutcomeAt, Timing
from facmech.gmethods.results import ModelInfo, StrategyResult, UnitBootstrap, WeightDiagnostics
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
    "ConfounderReport",
    "Dynamic",
    "FromPeriod",
    "MSMForm",
    "MediationOverTime",
    "Method",
    "ModelInfo",
    "NaiveEstimate",
    "Never",
    "OutcomeAt",
    "Stabilized",
    "Static",
    "Strategy",
    "StrategyResult",
    "Taper",
    "Timing",
    "UnitBootstrap",  # deprecated alias of Bootstrap
    "WeightDiagnostics",
    "gformula",
    "mediational_gformula",
    "msm",
    "naive_regression",
    "parse_strategy",
    "time_varying_confounders",
]
