"""Identification: which effects of a mechanism map are identified, how, and what to measure.

>>> import networkx as nx
>>> from facmech.identification import identify
>>> identify(nx.DiGraph([("x", "y")]), "x", "y").estimand
'P(y | x)'
"""

from facmech.identification._query import QueryError
from facmech.identification.identify import identify
from facmech.identification.result import Alternative, Effect, Identification, Strategy

__all__ = [
    "Alternative",
    "Effect",
    "Identification",
    "QueryError",
    "Strategy",
    "identify",
]
