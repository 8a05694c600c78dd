"""Mediation analysis of multisite trial data: how much of an implementation strategy's effect
runs through each mechanism.

:func:`mediate` estimates natural direct and indirect effects (with control and treated versions),
the proportion mediated, the decomposition over ordered mediators and, under linear models,
path-specific effects, with inference that respects sites (cluster bootstrap or Monte Carlo draws
from a cluster-robust covariance with small-sample correction). :func:`mediate_arrays` is the
batched core over many replicates, for design studies.
"""

from facmech.mediation.api import mediate
from facmech.mediation.engine import BatchEffects, mediate_arrays
from facmech.mediation.exposure import exposure_times
from facmech.mediation.inference import (
    Bootstrap,
    Classical,
    Clustered,
    MonteCarlo,
    Robust,
    SmallSample,
)
from facmech.mediation.keys import Arm, EffectKey, EffectKind, Naming
from facmech.mediation.refute import Refutation, refute
from facmech.mediation.results import MediationResult
from facmech.mediation.sensitivity import RhoSensitivity, e_value, e_values, rho_sensitivity
from facmech.mediation.spec import EffectModel, Family, TreatmentLevel
from facmech.mediation.synthetic import SyntheticTrials, synthetic_trials

__all__ = [
    "Arm",
    "BatchEffects",
    "Bootstrap",
    "Classical",
    "Clustered",
    "EffectKey",
    "EffectKind",
    "EffectModel",
    "Family",
    "MediationResult",
    "MonteCarlo",
    "Naming",
    "Refutation",
    "RhoSensitivity",
    "Robust",
    "SmallSample",
    "SyntheticTrials",
    "TreatmentLevel",
    "e_value",
    "e_values",
    "exposure_times",
    "mediate",
    "mediate_arrays",
    "refute",
    "rho_sensitivity",
    "synthetic_trials",
]
