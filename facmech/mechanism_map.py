"""The old home of mechanism maps, kept so ``from facmech.mechanism_map import ...`` still works.

The concepts now live in :mod:`facmech.maps` (vocabulary, elements, validation, the map model) and
:mod:`facmech.formats` (reading, writing and :func:`load_map`); this module only re-exports them.

>>> from facmech.mechanism_map import MechanismMap, load_map
>>> isinstance(load_map(), MechanismMap)
True
"""

from facmech.formats.loader import builtin_maps, load_map
from facmech.maps import (
    Confidence,
    ConfidenceLevel,
    Edge,
    Evidence,
    Level,
    MechanismMap,
    Node,
    Provenance,
    Role,
    map_from_dict,
)

__all__ = [
    "Confidence",
    "ConfidenceLevel",
    "Edge",
    "Evidence",
    "Level",
    "MechanismMap",
    "Node",
    "Provenance",
    "Role",
    "builtin_maps",
    "load_map",
    "map_from_dict",
]
