"""Refutation tests of a mediation result, after DoWhy's refuters (design-level).

DoWhy's ``placebo_treatment_refuter``, ``random_common_cause`` and ``data_subset_refuter`` re-run an
estimator on perturbed data and compare. DoWhy 0.14 cannot run them on its own mediation estimands
(``refute_estimate`` raises ``KeyError`` in ``IdentifiedEstimand.get_backdoor_variables`` for
``nonparametric-nie``/``-nde``), and its perturbations act on rows, which breaks site-randomized
designs. Here the same three refutations re-run *facmech's* estimator, at the level of the design
(the placebo permutes treatment sequences across sites; the subset keeps a share of sites), all
simulations batched as replicates of :func:`facmech.mediation.mediate_arrays`, and each is judged
with DoWhy's own significance test (:func:`dowhy.causal_refuter.test_significance`: normal test
below 100 simulations, bootstrap test otherwise).

- ``placebo_treatment``: the effects should vanish; it *passes* when the original estimate is
  significantly different from the placebo distribution (or the original is itself null).
- ``random_common_cause``: adding an independent N(0, 1) covariate should not move the estimates;
  it passes when the original estimate is consistent with the perturbed ones.
- ``data_subset``: re-estimation on a random 80% of sites (rows without sites) should agree; same
  criterion.

Total effects alone are refuted by DoWhy's own refuters on the hand-over of the identification
(:meth:`facmech.identification.dowhy_handover.DoWhyHandover.refute`); both return a
:class:`facmech.refutation.Refutation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from facmech._random import as_generator
from facmech.errors import ArgumentError, EstimationError, FacmechError
from facmech.mediation.engine import mediate_arrays
from facmech.refutation import Refutation, judge

if TYPE_CHECKING:  # pragma: no cover
    from facmech.mediation.results import MediationResult

__all__ = ["REFUTERS", "Refutation", "refute"]

REFUTERS = ("placebo_treatment", "random_common_cause", "data_subset")
_EFFECTS = ("total", "nde", "nie")


def _placebo(rng, data, sims):
    a = data.treatment
    n = a.size
    if data.cluster is None:
        return np.stack([rng.permutation(a) for _ in range(sims)])
    G = data.n_clusters
    codes = data.cluster
    # treatment pattern of each site: per row, the value of the donor site in the same "slot"
    # (period when time is given, else the site's single value)
    time_codes = data.time_codes if data.time_codes is not None else np.zeros(n, dtype=int)
    T = int(time_codes.max()) + 1
    table = np.full((G, T), np.nan)
    table[codes, time_codes] = a
    # fill periods a site has no rows in with its nearest observed value
    table = pd.DataFrame(table).ffill(axis=1).bfill(axis=1).to_numpy()
    out = np.empty((sims, n))
    for s in range(sims):
        donor = rng.permutation(G)
        out[s] = table[donor[codes], time_codes]
    return out


def refute(
    result: MediationResult,
    *,
    methods: tuple[str, ...] | None = None,
    simulations: int = 20,
    seed: Any = None,
    subset_fraction: float = 0.8,
    alpha: float = 0.05,
) -> Refutation:
    """Run the refuters on the ``total``, ``nde`` and ``nie`` effects of ``result``.

    Parameters
    ----------
    result : MediationResult
    methods : tuple of str, optional
        Any of ``"placebo_treatment"``, ``"random_common_cause"``, ``"data_subset"`` (default all).
    simulations : int
        Perturbed data sets per refuter (at least 10).
    seed : int, Generator or None
    subset_fraction : float
        Share of sites (rows) kept by ``data_subset``.
    alpha : float
        Significance level of the tests.
    """
    methods = REFUTERS if methods is None else tuple(methods)
    bad = [m for m in methods if m not in REFUTERS]
    if bad:
        raise ArgumentError(f"`methods` has unknown refuter(s) {bad}; choose from {list(REFUTERS)}")
    if not (isinstance(simulations, int) and simulations >= 10):
        raise ArgumentError(f"`simulations` must be an integer of at least 10 (got {simulations!r})")
    if not 0 < subset_fraction < 1:
        raise ArgumentError(f"`subset_fraction` must be in (0, 1) (got {subset_fraction!r})")
    data = result.data
    if data is None:
        raise EstimationError("the result carries no data to refute")
    if data.exposure is not None:
        raise EstimationError(
            "refuters are implemented for the constant-effect model; this result uses "
            "`effect_model=\"exposure_time\"`"
        )
    rng = as_generator(seed)
    family = result.outcome_family
    interaction = bool(result.interaction)
    mfamily = result.mediator_family
    M, Y, C = data.mediators, data.outcome, data.covariates
    n = Y.size
    rows = []

    def run(A, Ms, Ys, Cs, cluster):
        out = mediate_arrays(A, Ms, Ys, Cs, site=cluster, outcome_family=family,
                             mediator_family=mfamily, interaction=interaction, inference=None)
        return {e: out.estimate[:, out.names.index(e)] for e in _EFFECTS}

    sims = simulations
    for method in methods:
        if method == "placebo_treatment":
            A = _placebo(rng, data, sims)
            new = run(A, np.broadcast_to(M, (sims, *M.shape)), np.broadcast_to(Y, (sims, n)),
                      np.broadcast_to(C, (sims, *C.shape)), data.cluster)
        elif method == "random_common_cause":
            extra = rng.standard_normal((sims, n, 1))
            Cs = np.concatenate([np.broadcast_to(C, (sims, *C.shape)), extra], axis=-1)
            new = run(np.broadcast_to(data.treatment, (sims, n)),
                      np.broadcast_to(M, (sims, *M.shape)), np.broadcast_to(Y, (sims, n)), Cs,
                      data.cluster)
        else:
            new = {e: [] for e in _EFFECTS}
            for _ in range(sims):
                if data.cluster is None:
                    keep = np.sort(rng.choice(n, size=round(subset_fraction * n),
                                              replace=False))
                    cl = None
                else:
                    G = data.n_clusters
                    sites = rng.choice(G, size=max(4, round(subset_fraction * G)),
                                       replace=False)
                    keep = np.flatnonzero(np.isin(data.cluster, sites))
                    cl = np.unique(data.cluster[keep], return_inverse=True)[1]
                try:
                    one = run(data.treatment[keep][None], M[keep][None], Y[keep][None],
                              C[keep][None], cl)
                except FacmechError:
                    continue  # a subset without both arms or with a collinear design
                for e in _EFFECTS:
                    new[e].append(one[e][0])
            new = {e: np.asarray(v) for e, v in new.items()}
            if new["total"].size < 10:
                raise EstimationError("fewer than 10 data subsets could be analysed")
        for e in _EFFECTS:
            original = result.effects[e].estimate
            values = np.asarray(new[e], dtype=float)
            p, passed = judge(original, values, placebo=method == "placebo_treatment",
                              alpha=alpha, original_p_value=result.effects[e].p_value)
            rows.append({"refuter": method, "effect": e, "estimate": original,
                         "new_effect": float(values.mean()), "p_value": p, "passed": passed})
    frame = pd.DataFrame(rows).set_index(["refuter", "effect"])
    return Refutation(frame, sims)
