"""Pure graph functions for identification: DAGs with latent nodes and their ADMG projections.

Every function takes a networkx ``DiGraph`` (acyclic) and, where it matters, the set of latent
(unmeasured) nodes; none of them mutates its input.

>>> import networkx as nx
>>> from facmech.graphs import d_separated, latent_projection
>>> g = nx.DiGraph([("x", "m"), ("m", "y"), ("u", "x"), ("u", "y")])
>>> d_separated(g, {"x"}, {"y"}, {"m", "u"})
True
>>> sorted(latent_projection(g, {"u"}).bidirected_pairs())
[('x', 'y')]
"""

from facmech.graphs.admg import ADMG, districts, latent_projection
from facmech.graphs.dseparation import d_connecting_path, d_separated
from facmech.graphs.paths import (
    ancestors_of,
    backdoor_paths,
    count_directed_paths,
    descendants_of,
    directed_paths,
    proper_causal_nodes,
)
from facmech.graphs.separators import minimal_separators

__all__ = [
    "ADMG",
    "ancestors_of",
    "backdoor_paths",
    "count_directed_paths",
    "d_connecting_path",
    "d_separated",
    "descendants_of",
    "directed_paths",
    "districts",
    "latent_projection",
    "minimal_separators",
    "proper_causal_nodes",
]
