"""Identification: which effects of a mechanism map are identified, how, and what to measure.

- :func:`identify`: total (adjustment, front-door, ID algorithm; instruments flagged), natural
  direct/indirect, controlled direct and path-specific effects, as an :class:`Identification`.
- :func:`check_adjustment`: is a given set a valid adjustment set, and if not why.
- :func:`path_report`: every directed path and mediator between two nodes, judged.
- :func:`measurement_plan`: the cheapest set of unmeasured nodes to measure.
- :func:`implications` / :func:`test_implications`: testable independencies and tests on data;
  on period data (``time=``) the claims of the map unrolled over the data's periods
  (:func:`period_implications`, with the trial design as a :class:`PeriodDesign`).
- :func:`identify_across_variants`: robustness of a verdict to map uncertainty.
- :class:`Assumption`: what a verdict rests on, as data (:mod:`~facmech.identification.assumptions`).
- :meth:`Identification.to_dowhy` / :meth:`Identification.cross_check`: the hand-over to DoWhy
  (:mod:`~facmech.identification.dowhy_handover`) and DoWhy's verdict beside facmech's
  (:mod:`~facmech.identification.crosscheck`).

>>> import networkx as nx
>>> from facmech.identification import identify
>>> identify(nx.DiGraph([("x", "y")]), "x", "y").estimand
'P(y | x)'
"""

from facmech.identification._query import QueryError
from facmech.identification.adjustment_check import AdjustmentCheck, check_adjustment
from facmech.identification.assumptions import Assumption, AssumptionKind
from facmech.identification.crosscheck import CrossCheck
from facmech.identification.dowhy_handover import DoWhyHandover
from facmech.identification.identify import identify
from facmech.identification.implications import (
    Implication,
    ImplicationTests,
    implications,
    test_implications,
)
from facmech.identification.measurement import MeasurementPlan, Query, measurement_plan
from facmech.identification.period_implications import (
    PeriodDesign,
    PeriodImplication,
    period_implications,
)
from facmech.identification.report import PathReport, path_report
from facmech.identification.result import Alternative, Effect, Identification, Strategy
from facmech.identification.variants import VariantReport, identify_across_variants

__all__ = [
    "AdjustmentCheck",
    "Alternative",
    "Assumption",
    "AssumptionKind",
    "CrossCheck",
    "DoWhyHandover",
    "Effect",
    "Identification",
    "Implication",
    "ImplicationTests",
    "MeasurementPlan",
    "PathReport",
    "PeriodDesign",
    "PeriodImplication",
    "Query",
    "QueryError",
    "Strategy",
    "VariantReport",
    "check_adjustment",
    "identify",
    "identify_across_variants",
    "implications",
    "measurement_plan",
    "path_report",
    "period_implications",
    "test_implications",
]
