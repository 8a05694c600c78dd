"""Mechanism maps: typed causal DAGs of how an implementation strategy is hypothesized to work.

A *mechanism map* (Kilbourne et al. 2023, Implement Sci Commun 4:53) draws the path from a strategy
(healthcare facilitation) through mechanisms (leadership engagement, acceptance, role clarity,
sense-making, capacity, trust, normalization) to implementation and patient outcomes, with context
pointing in. facmech stores one as a :class:`MechanismMap`: an immutable set of typed :class:`Node`\\ s
and :class:`Edge`\\ s.

Edges carry a ``lag``: 0 for an effect within a period, 1 for an effect from period *t* to *t + 1*.
Lag-1 edges express feedback loops (leadership engagement permits next period's facilitation, which
earns acceptance, which grows leadership engagement). Within a period the map must be acyclic;
:meth:`MechanismMap.unroll` turns the loop into a DAG over periods, where it appears as time-varying
confounding.

The package is split by concept, each module importing only those before it:
:mod:`~facmech.maps.vocabulary` (roles, levels, provenance, confidence) ->
:mod:`~facmech.maps.elements` (nodes, edges, evidence; building them from records) ->
:mod:`~facmech.maps.validation` -> :mod:`~facmech.maps.unrolling` -> :mod:`~facmech.maps.model`
(the map). Files in every format are
read and written by :mod:`facmech.formats` (which also holds :func:`~facmech.formats.load_map`);
the built-in maps are this package's ``*.yaml`` files.

The YAML format
---------------
::

    title: My map
    citation: Author et al. (2024)
    doi: 10.xxxx/yyyy
    treatment: facilitation         # optional defaults for identify/plan (dagitty's [exposure])
    outcome: uptake                 # (dagitty's [outcome]); adjustment: [...] ([adjusted])
    nodes:
      - id: facilitation            # any printable text, unique, kept exactly as written
        label: Healthcare facilitation
        role: strategy              # context | strategy | component | mechanism | outcome
        level: site                 # site | staff | patient
        time_varying: true          # unrolled into facilitation_t0, facilitation_t1, ...
        observed: true              # false = latent (not measured)
        measures: [facilitator time logs]
        provenance: stated          # stated | reconstructed
        stage: strategy             # optional layout stage: baseline, strategy, early, middle, late, end
        description: ...
    edges:
      - source: facilitation
        target: acceptance
        arrow: 1                    # the figure's arrow number (optional, unique)
        lag: 0                      # 0 within a period, 1 from period t to t + 1
        provenance: reconstructed
        confidence: M-H             # H | M | L, or a range such as M-H
        direction_uncertain: false  # true: map variants also try target -> source
        evidence:
          - {vignette: VHA, quote: "..."}

>>> from facmech import load_map
>>> m = load_map()
>>> m.arrow(2).source, m.arrow(2).target
('facilitation', 'leadership_engagement')
>>> len([e for e in m.edges if e.arrow is not None])
15
"""

from facmech.maps.elements import Edge, Evidence, Node
from facmech.maps.model import MechanismMap, map_from_dict
from facmech.maps.vocabulary import Confidence, ConfidenceLevel, Level, Provenance, Role

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
    "map_from_dict",
]
