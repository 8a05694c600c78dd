"""facmech: test how an implementation strategy works.

Mechanism maps as causal DAGs, identification of total, natural and path-specific effects, mediation
with clustered inference on multisite trials, g-methods for adaptive facilitation, trial simulation
and design studies.
"""

from facmech import power
from facmech.design import Dask, Processes, Serial, StudyResult, design_study
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
from facmech.estimates import Estimate
from facmech.gmethods import (
    Stabilized,
    StrategyResult,
    gformula,
    mediational_gformula,
    msm,
    time_varying_confounders,
)

# The analysis layers (import order: graphs -> identification -> simulation -> estimation -> design).
from facmech.identification import (
    Identification,
    identify,
    identify_across_variants,
    implications,
    measurement_plan,
    path_report,
    test_implications,
)
from facmech.mechanism_map import (
    Confidence,
    Edge,
    Evidence,
    Level,
    MechanismMap,
    Node,
    Provenance,
    Role,
    load_map,
)
from facmech.mediation import (
    Bootstrap,
    MediationResult,
    MonteCarlo,
    mediate,
)
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
from facmech.unroll import unroll

__version__ = "0.1.0"

__all__ = [
    "SMART",
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
