"""facmech: test how an implementation strategy works.

Mechanism maps as causal DAGs, identification of total, natural and path-specific effects, mediation
with clustered inference on multisite trials, g-methods for adaptive facilitation, trial simulation
and design studies.

The public names below load on first use (PEP 562 module ``__getattr__``, as scikit-learn and SciPy
do), so ``import facmech`` and ``facmech --help`` do not pay for pandas, scipy.stats, statsmodels,
matplotlib or DoWhy until an analysis needs them. ``facmech.mediate``, ``from facmech import
mediate`` and ``dir(facmech)`` work as with eager imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The error tree is small and needed by everything: imported eagerly.
from facmech.errors import (
    ArgumentError,
    CyclicMapError,
    DataError,
    DesignError,
    EstimationError,
    FacmechError,
    FacmechWarning,
    FewClustersWarning,
    MapError,
    MapFormatError,
    NotIdentifiedError,
    PositivityWarning,
    UnknownNodeError,
)

__version__ = "0.1.0"

#: Where each lazily loaded public name lives (the analysis layers, in import order:
#: maps -> graphs -> identification -> simulation -> estimation -> design).
_LAZY = {
    "facmech.maps": (
        "Confidence", "Edge", "Evidence", "Level", "MechanismMap", "Node", "Provenance", "Role",
    ),
    "facmech.formats": ("load_map",),
    "facmech.maps.unrolling": ("unroll",),
    "facmech.identification": (
        "AdjustmentCheck", "Identification", "check_adjustment", "identify",
        "identify_across_variants", "implications",
        "measurement_plan", "path_report", "test_implications",
    ),
    "facmech.simulation": (
        "SMART", "Observational", "ParallelCRT", "Scenario", "SimulatedTrial", "SteppedWedge",
        "load_scenario", "simulate",
    ),
    "facmech.estimates": ("Estimate",),
    "facmech.mediation": ("Bootstrap", "MediationResult", "MonteCarlo", "mediate"),
    "facmech.gmethods": (
        "Stabilized", "StrategyResult", "gformula", "mediational_gformula", "msm",
        "time_varying_confounders",
    ),
    "facmech.design": ("Dask", "Processes", "Serial", "StudyResult", "design_study"),
    "facmech.plotting": ("plot_map",),
    "facmech.report": ("PlanReport", "plan"),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}
_SUBPACKAGES = ("power",)

__all__ = [
    "SMART",
    "AdjustmentCheck",
    "ArgumentError",
    "Bootstrap",
    "Confidence",
    "CyclicMapError",
    "Dask",
    "DataError",
    "DesignError",
    "Edge",
    "Estimate",
    "EstimationError",
    "Evidence",
    "FacmechError",
    "FacmechWarning",
    "FewClustersWarning",
    "Identification",
    "Level",
    "MapError",
    "MapFormatError",
    "MechanismMap",
    "MediationResult",
    "MonteCarlo",
    "Node",
    "NotIdentifiedError",
    "Observational",
    "ParallelCRT",
    "PlanReport",
    "PositivityWarning",
    "Processes",
    "Provenance",
    "Role",
    "Scenario",
    "Serial",
    "SimulatedTrial",
    "Stabilized",
    "SteppedWedge",
    "StrategyResult",
    "StudyResult",
    "UnknownNodeError",
    "check_adjustment",
    "design_study",
    "gformula",
    "identify",
    "identify_across_variants",
    "implications",
    "load_map",
    "load_scenario",
    "measurement_plan",
    "mediate",
    "mediational_gformula",
    "msm",
    "path_report",
    "plan",
    "plot_map",
    "power",
    "simulate",
    "test_implications",
    "time_varying_confounders",
    "unroll",
]


def __getattr__(name: str) -> Any:
    # Function-level import on purpose: this is the lazy loading of the heavy analysis layers.
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"facmech.{name}")
    else:
        raise AttributeError(f"module 'facmech' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from facmech import power
    from facmech.design import Dask, Processes, Serial, StudyResult, design_study
    from facmech.estimates import Estimate
    from facmech.formats import load_map
    from facmech.gmethods import (
        Stabilized,
        StrategyResult,
        gformula,
        mediational_gformula,
        msm,
        time_varying_confounders,
    )
    from facmech.identification import (
        AdjustmentCheck,
        Identification,
        check_adjustment,
        identify,
        identify_across_variants,
        implications,
        measurement_plan,
        path_report,
        test_implications,
    )
    from facmech.maps import Confidence, Edge, Evidence, Level, MechanismMap, Node, Provenance, Role
    from facmech.maps.unrolling import unroll
    from facmech.mediation import Bootstrap, MediationResult, MonteCarlo, mediate
    from facmech.plotting import plot_map
    from facmech.report import PlanReport, plan
    from facmech.simulation import (
        SMART,
        Observational,
        ParallelCRT,
        Scenario,
        SimulatedTrial,
        SteppedWedge,
        load_scenario,
        simulate,
    )
