"""Hand facmech's identification of a total effect over to DoWhy: model, estimand, estimate, refute.

DoWhy's pipeline is model -> identify -> estimate -> refute (Sharma & Kiciman 2020). facmech does
the identification (correctly where DoWhy's identifier is not: recanting witnesses, the ID
algorithm, see :mod:`facmech.identification.crosscheck`) and hands the result to DoWhy, which does
the estimation and the refutation with its own estimators and refuters:

- :func:`to_dowhy` (:meth:`facmech.identification.Identification.to_dowhy`) builds a
  ``dowhy.CausalModel`` on the DAG the identification was computed on (an unrolled map's DAG for a
  time-varying question), with the data restricted to the measured nodes (DoWhy reads a column as
  "observed"), and the ``dowhy.causal_identifier.IdentifiedEstimand`` that matches facmech's
  verdict: the back-door estimand with facmech's adjustment set, the front-door estimand with its
  front-door set (first- and second-stage confounders as the front-door criterion implies: none,
  and the treatment), or the instrumental-variable estimand with an unconditional instrument. Its
  assumptions are facmech's :class:`facmech.identification.assumptions.Assumption` records, in
  DoWhy's ``{name: text}`` form.
- ``model.estimate_effect(estimand, method_name=...)`` and ``model.refute_estimate(...)`` then
  run as on DoWhy's own estimand; :meth:`DoWhyHandover.estimate` and
  :meth:`DoWhyHandover.refute` call them with DoWhy's loggers silenced (and restored) and return
  DoWhy's ``CausalEstimate`` and a :class:`facmech.refutation.Refutation`.

DoWhy's refuters perturb rows (a placebo permutes treatment across rows, the subset drops rows):
for site-randomized data refute the mediation analysis with facmech's design-level refuters
(:func:`facmech.mediation.refute.refute`) instead.

>>> import networkx as nx, numpy as np, pandas as pd
>>> from facmech.identification import identify
>>> rng = np.random.default_rng(0)
>>> c = rng.normal(size=500); x = (c + rng.normal(size=500) > 0).astype(float)
>>> df = pd.DataFrame({"c": c, "x": x, "y": 0.5 * x + c + rng.normal(size=500)})
>>> h = identify(nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")]), "x", "y").to_dowhy(df)
>>> h.method, h.estimand.get_backdoor_variables()
('backdoor.linear_regression', ['c'])
>>> round(float(h.estimate().value), 3)  # the coefficient of x in y ~ x + c
0.432
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from facmech._dowhy import quiet
from facmech._random import SeedLike, as_generator
from facmech._validation import (
    check_alpha,
    check_int,
    require_columns,
    require_complete,
    require_frame,
)
from facmech.errors import ArgumentError, EstimationError, NotIdentifiedError
from facmech.graphs import d_connecting_path
from facmech.identification.adjustment import is_adjustment_set
from facmech.identification.assumptions import to_dowhy_assumptions
from facmech.identification.result import Effect, Identification, Strategy
from facmech.refutation import Refutation

if TYPE_CHECKING:  # pragma: no cover
    from dowhy import CausalModel
    from dowhy.causal_identifier import IdentifiedEstimand

__all__ = ["REFUTERS", "DoWhyHandover", "to_dowhy"]

#: DoWhy refuters run by :meth:`DoWhyHandover.refute` (DoWhy's own method names).
REFUTERS = ("placebo_treatment_refuter", "random_common_cause", "data_subset_refuter")

_METHOD = {Strategy.BACKDOOR: "backdoor.linear_regression",
           Strategy.FRONTDOOR: "frontdoor.two_stage_regression",
           Strategy.IV: "iv.instrumental_variable"}


@dataclass(frozen=True, eq=False)
class DoWhyHandover:
    """A facmech identification in DoWhy's terms.

    Attributes
    ----------
    identification : Identification
        facmech's record the hand-over was built from (its assumptions are the estimand's).
    model : dowhy.CausalModel
        On the identification's DAG with the measured columns of the data (a copy).
    estimand : dowhy.causal_identifier.IdentifiedEstimand
        The estimand facmech identified, its ``identifier_method`` set to the strategy
        (``backdoor``, ``frontdoor``, ``iv``). DoWhy's ``estimate_effect`` mutates the estimand it
        is given; :meth:`estimate` and :meth:`refute` work on copies (:meth:`copy_estimand`:
        DoWhy's own ``__deepcopy__`` drops the front-door stage confounders).
    method : str
        DoWhy's linear estimator for this strategy (``backdoor.linear_regression``,
        ``frontdoor.two_stage_regression`` or ``iv.instrumental_variable``).
    """

    identification: Identification
    model: CausalModel
    estimand: IdentifiedEstimand
    method: str

    @property
    def strategy(self) -> Strategy:
        return self.identification.strategy  # type: ignore[return-value]

    def copy_estimand(self) -> IdentifiedEstimand:
        """A deep copy of :attr:`estimand` that keeps every field (DoWhy's ``__deepcopy__`` drops
        ``mediation_first_stage_confounders`` and ``mediation_second_stage_confounders``, which
        its front-door estimator reads)."""
        out = copy.deepcopy(self.estimand)
        for name in ("mediation_first_stage_confounders", "mediation_second_stage_confounders",
                     "no_directed_path"):
            setattr(out, name, copy.deepcopy(getattr(self.estimand, name)))
        return out

    def estimate(self, *, method: str | None = None, control: Any = 0, treated: Any = 1,
                 effect_modifiers: Sequence[str] = ()) -> Any:
        """DoWhy's ``CausalModel.estimate_effect`` on a copy of the estimand.

        Parameters
        ----------
        method : str, optional
            A DoWhy method name for this strategy (default :attr:`method`).
        control, treated
            Treatment values compared (DoWhy's ``control_value`` / ``treatment_value``).
        effect_modifiers : sequence of str
            Passed to DoWhy (default none: the average effect of the adjustment regression).
            DoWhy's own default (``None`` in ``estimate_effect``) adds a treatment-by-modifier
            term for every ancestor of the outcome that is neither an ancestor of the treatment
            nor on a causal path (found by listing all simple paths, slow on unrolled maps); the
            average effect then differs in finite samples from the adjustment regression's.

        Returns
        -------
        dowhy.causal_estimator.CausalEstimate
        """
        name = self.method if method is None else method
        if not isinstance(name, str) or name.split(".")[0] != self.method.split(".")[0]:
            raise ArgumentError(
                f"`method` must be a DoWhy method for the {self.strategy.value} estimand, i.e. "
                f"start with {self.method.split('.')[0] + '.'!r} (got {name!r})")
        with quiet():
            try:
                est = self.model.estimate_effect(
                    self.copy_estimand(), method_name=name, control_value=control,
                    treatment_value=treated, test_significance=False,
                    effect_modifiers=list(effect_modifiers))
            except (ValueError, KeyError, TypeError) as exc:
                raise EstimationError(f"DoWhy's {name} failed: {exc}") from exc
        if est.value is None:
            raise EstimationError(f"DoWhy's {name} returned no estimate")
        return est

    def refute(
        self,
        estimate: Any = None,
        *,
        methods: Sequence[str] = REFUTERS,
        simulations: int = 100,
        subset_fraction: float = 0.8,
        seed: SeedLike = None,
    ) -> Refutation:
        """Run DoWhy's refuters (``CausalModel.refute_estimate``) on a total-effect estimate.

        Parameters
        ----------
        estimate : CausalEstimate, optional
            Default: :meth:`estimate` with the default method.
        methods : sequence of str
            DoWhy refuters among ``placebo_treatment_refuter`` (the treatment permuted across
            rows), ``random_common_cause`` (an independent normal common cause added) and
            ``data_subset_refuter`` (a random ``subset_fraction`` of the rows).
        simulations : int
            DoWhy's ``num_simulations`` per refuter (at least 10).
        subset_fraction : float
        seed : int, Generator or None
            One DoWhy ``random_state`` per refuter is drawn from it.

        Returns
        -------
        Refutation
            One row per refuter (effect ``total``): ``estimate``, ``new_effect`` (DoWhy's mean
            over simulations), DoWhy's ``p_value`` and ``passed`` (DoWhy's test is not
            significant: for the placebo, zero is consistent with the placebo effects; for the
            others, the estimate is consistent with the re-estimates).
        """
        methods = tuple(methods)
        bad = [m for m in methods if m not in REFUTERS]
        if bad or not methods:
            raise ArgumentError(f"`methods` must be among {list(REFUTERS)} (got {list(methods)})")
        sims = check_int(simulations, argument="simulations", minimum=10)
        check_alpha(subset_fraction, argument="subset_fraction")
        est = self.estimate() if estimate is None else estimate
        rng = as_generator(seed)
        rows = []
        for name in methods:
            # a RandomState, not an int: DoWhy's data-subset refuter reseeds every simulation
            # with an int seed (the same subset each time)
            state = np.random.RandomState(int(rng.integers(2**31 - 1)))
            kwargs: dict[str, Any] = {"num_simulations": sims, "random_state": state}
            if name == "placebo_treatment_refuter":
                kwargs["placebo_type"] = "permute"
            elif name == "data_subset_refuter":
                kwargs["subset_fraction"] = float(subset_fraction)
            with quiet():
                try:
                    res = self.model.refute_estimate(self.copy_estimand(), est,
                                                     method_name=name, **kwargs)
                except (ValueError, KeyError, TypeError) as exc:
                    raise EstimationError(f"DoWhy's {name} failed: {exc}") from exc
            test = res.refutation_result or {}
            significant = bool(test.get("is_statistically_significant", False))
            rows.append({"refuter": name, "effect": "total", "estimate": float(est.value),
                         "new_effect": float(res.new_effect),
                         "p_value": float(test.get("p_value", float("nan"))),
                         "passed": not significant})
        return Refutation(pd.DataFrame(rows).set_index(["refuter", "effect"]), sims)


def _bare(graph: nx.DiGraph) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from(graph.edges)
    return g


def _frame(data: pd.DataFrame, graph: nx.DiGraph, latent: frozenset[str],
           needed: Sequence[str]) -> pd.DataFrame:
    require_frame(data)
    require_columns(data, needed)
    cols = [c for c in data.columns if c in graph and c not in latent]
    require_complete(data, needed, hint="DoWhy's estimators need complete columns; drop or "
                     "impute those rows first")
    return data.loc[:, cols].copy()


def _estimand(ident: Identification, x: str, y: str, *, backdoor: Sequence[str] | None = None,
              frontdoor: Sequence[str] | None = None, instrument: str | None = None
              ) -> IdentifiedEstimand:
    from dowhy.causal_identifier import EstimandType, IdentifiedEstimand
    from dowhy.causal_identifier.auto_identifier import (
        construct_adjustment_estimand,
        construct_frontdoor_estimand,
        construct_iv_estimand,
    )

    assumptions = to_dowhy_assumptions(ident.assumptions)
    estimands: dict[str, Any] = {"backdoor": None, "iv": None, "frontdoor": None,
                                 "general_adjustment": None}
    kw: dict[str, Any] = {"backdoor_variables": {}}
    if backdoor is not None:
        e = construct_adjustment_estimand([x], [y], list(backdoor))
        e["assumptions"] = assumptions
        estimands.update(backdoor1=e, backdoor=e)
        kw.update(backdoor_variables={"backdoor1": list(backdoor), "backdoor": list(backdoor)},
                  default_backdoor_id="backdoor1")
    if frontdoor is not None:
        e = construct_frontdoor_estimand([x], [y], list(frontdoor))
        e["assumptions"] = assumptions
        estimands["frontdoor"] = e
        # front-door criterion: no back-door path x -> M; x blocks every back-door path M -> y
        kw.update(frontdoor_variables=list(frontdoor),
                  mediation_first_stage_confounders={"backdoor": []},
                  mediation_second_stage_confounders={"backdoor": [x]})
    if instrument is not None:
        e = construct_iv_estimand([x], [y], [instrument])
        e["assumptions"] = {**e["assumptions"], **assumptions}
        estimands["iv"] = e
        kw["instrumental_variables"] = [instrument]
    method = "backdoor" if backdoor is not None else "frontdoor" if frontdoor is not None \
        else "iv"
    return IdentifiedEstimand(None, treatment_variable=[x], outcome_variable=[y],
                              estimand_type=EstimandType.NONPARAMETRIC_ATE, estimands=estimands,
                              identifier_method=method, **kw)


def to_dowhy(
    identification: Identification,
    data: pd.DataFrame,
    *,
    adjustment: Sequence[str] | None = None,
) -> DoWhyHandover:
    """A DoWhy ``CausalModel`` and ``IdentifiedEstimand`` for an identified total effect.

    Parameters
    ----------
    identification : Identification
        From :func:`facmech.identify` (``effect="total"``, one treatment): identified by
        back-door adjustment or the front-door criterion, or flagged ``iv`` (an instrument).
    data : DataFrame
        One column per measured node used (treatment, outcome, and the adjustment, front-door
        or instrument variables); other measured nodes of the graph are passed on when present.
        Not modified.
    adjustment : sequence of str, optional
        For a back-door identification: the adjustment set to use (default: the first of
        ``identification.adjustment_sets``); any valid adjustment set of the graph is accepted.

    Returns
    -------
    DoWhyHandover

    Raises
    ------
    ArgumentError
        Not a single-treatment total effect, or a record without its graph.
    NotIdentifiedError
        Identified only by the ID algorithm (DoWhy has no estimator for its functional), not
        identified and without an unconditional instrument, or an invalid ``adjustment`` (the
        message names an open back-door path).
    DataError
        A needed column is missing.
    """
    ident = identification
    if not isinstance(ident, Identification):
        raise ArgumentError(f"`identification` must be an Identification (got "
                            f"{type(ident).__name__})")
    if ident.effect is not Effect.TOTAL:
        raise ArgumentError(
            f"`identification` is a {ident.effect.value} query; DoWhy's hand-over takes total "
            "effects (natural effects are estimated by facmech.mediate)")
    if ident.graph is None:
        raise ArgumentError("`identification` carries no graph; build it with facmech.identify")
    graph, latent = ident.graph, ident.latent
    x, y = ident.treatment, ident.outcome
    if x not in graph:
        raise ArgumentError(f"`identification` has several treatments ({x}); DoWhy's hand-over "
                            "takes one")
    if adjustment is not None and ident.strategy is not Strategy.BACKDOOR:
        raise ArgumentError(f"`adjustment` is given but the effect is identified by "
                            f"{ident.strategy}, not back-door adjustment")
    strategy = ident.strategy
    if ident.identifiable and strategy is Strategy.BACKDOOR:
        z = list(ident.adjustment_sets[0]) if adjustment is None else list(adjustment)
        for n in z:
            if n not in graph or n in latent:
                raise ArgumentError(f"`adjustment`: {n!r} is not a measured node of the graph")
        if not is_adjustment_set(graph, {x}, {y}, set(z)):
            path = d_connecting_path(graph, x, y, z, first_edge_into_x=True)
            raise NotIdentifiedError(
                f"`adjustment` {z} is not a valid adjustment set for the effect of {x} on {y}"
                + (f": open path {' - '.join(path)}" if path else ""), identification=ident)
        needed, est_kw = [x, y, *z], {"backdoor": z}
    elif ident.identifiable and strategy is Strategy.FRONTDOOR:
        sets = [s for s in ident.frontdoor_sets if len(s) == 1] or list(ident.frontdoor_sets)
        needed, est_kw = [x, y, *sets[0]], {"frontdoor": sets[0]}
    elif not ident.identifiable and strategy is Strategy.IV:
        free = [z for z, w in ident.instruments if not w]
        if not free:
            raise NotIdentifiedError(
                f"the instruments of {x} -> {y} hold only given covariates "
                f"({'; '.join(f'{z} given {list(w)}' for z, w in ident.instruments)}); DoWhy's "
                "instrumental-variable estimator does not condition on covariates",
                identification=ident)
        needed, est_kw = [x, y, free[0]], {"instrument": free[0]}
    elif ident.identifiable:
        raise NotIdentifiedError(
            f"the effect of {x} on {y} is identified by the {strategy} algorithm "
            f"({ident.estimand}); DoWhy has no estimator for that functional (its estimators "
            "take back-door, front-door and instrumental-variable estimands)", identification=ident)
    else:
        raise NotIdentifiedError(f"nothing to hand over to DoWhy: {ident.reason}",
                                 identification=ident)
    frame = _frame(data, graph, latent, needed)
    estimand = _estimand(ident, x, y, **est_kw)
    from dowhy import CausalModel

    with quiet():
        model = CausalModel(data=frame, treatment=x, outcome=y, graph=_bare(graph))
    return DoWhyHandover(identification=ident, model=model, estimand=estimand,
                         method=_METHOD[strategy])  # type: ignore[index]
