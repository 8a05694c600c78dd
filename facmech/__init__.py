"""facmech: test how an implementation strategy works.

Mechanism maps as causal DAGs, identification of total, natural and path-specific effects, mediation
with clustered inference on multisite trials, g-methods for adaptive facilitation, trial simulation
and design studies.
"""

from facmech.errors import (
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
from facmech.unroll import unroll

__version__ = "0.1.0"

__all__ = [
    "Confidence",
    "CyclicMapError",
    "DataError",
    "DesignError",
    "Edge",
    "Estimate",
    "EstimationError",
    "Evidence",
    "FacmechError",
    "FacmechWarning",
    "FewClustersWarning",
    "Level",
    "MapError",
    "MapFormatError",
    "MechanismMap",
    "Node",
    "NotIdentifiedError",
    "PositivityWarning",
    "Provenance",
    "Role",
    "UnknownNodeError",
    "load_map",
    "unroll",
]
