r"""Mediation over time: interventional direct and indirect effects of a sustained strategy through a
time-varying mediator, by the mediational g-formula (VanderWeele & Tchetgen Tchetgen 2017, JRSS-B
79:917; Lin, Young, Logan, Tchetgen Tchetgen & VanderWeele 2017, Epidemiology 28:266).

Within each period the order is: confounders :math:`L_t`, treatment :math:`A_t`, mediator
:math:`M_t` (e.g. trust or normalization measured after facilitation); the outcome follows the last
period. :math:`G_{\bar a'}` is a random draw of the whole mediator history from its distribution
under strategy :math:`\bar a'` given the pre-treatment data (baseline covariates and, when
measured before treatment, the first period's confounders). With
:math:`\psi(\bar a, \bar a') = E[Y(\bar a, G_{\bar a'})]`,

.. math::

    \text{overall} = \psi(1, 1) - \psi(0, 0), \quad
    \text{direct} = \psi(1, 0) - \psi(0, 0), \quad
    \text{indirect} = \psi(1, 1) - \psi(1, 0),

so overall = direct + indirect, which stays well defined when earlier treatment affects
confounders of later mediator-outcome relations (natural effects are then not identified).
Algorithm (Lin et al. 2017): fit models for every confounder and mediator of every period and the
outcome; simulate the mediator history under :math:`\bar a'` with one set of random numbers; then
simulate under :math:`\bar a` with an independent set, the mediator replaced by that draw at each
period, and average the predicted outcome. With all models linear the means are propagated exactly.

>>> from facmech.gmethods.simulate import mediation_data
>>> df, truth = mediation_data(sites=3000, periods=3, seed=1)
>>> res = mediational_gformula(df, site="site", period="period", treatment="facilitation",
...     mediator="trust", confounders="leadership_engagement", outcome="uptake", inference=None)
>>> abs(res.effects["indirect"].estimate - truth["indirect"]) < 0.15
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facmech._deprecation import deprecated_alias, renamed
from facmech._random import SeedLike, as_generator
from facmech.errors import DataError
from facmech.estimates import Estimate, estimates_frame
from facmech.estimation.fit import design_keep, with_single_thread_blas
from facmech.estimation.resampling import Bootstrap
from facmech.gmethods.data import LongData, prepare
from facmech.gmethods.design import build_design, term_names, terms_before
from facmech.gmethods.gformula import (
    DEFAULT_BOOTSTRAP,
    _history,
    _inference,
    check_strategies,
    unit_bootstrap_weights,
)
from facmech.gmethods.parametric import _fit_one, _linear_predictor, _Model
from facmech.gmethods.results import ModelInfo
from facmech.gmethods.strategies import Strategy, parse_strategy

__all__ = ["MediationOverTime", "mediational_gformula"]


@dataclass(frozen=True)
class MediationOverTime:
    """Interventional effects through a time-varying mediator, and the four means behind them."""

    treated: str
    control: str
    mediator: str
    effects: Mapping[str, Estimate]
    means: Mapping[str, Estimate]
    models: tuple[ModelInfo, ...]
    n_sites: int
    n_periods: int
    draws: int
    alpha: float
    simulation: str

    @property
    def n_units(self) -> int:
        """Deprecated name of :attr:`n_sites` (removed in the next release)."""
        return deprecated_alias(self.n_sites, "n_units", "n_sites")

    def to_frame(self) -> pd.DataFrame:
        """Effects then means, columns ``estimate, std_error, ci_low, ci_high, p_value``."""
        return estimates_frame({**self.effects, **self.means}, index_name="quantity")

    def to_dict(self) -> dict:
        return {
            "effects": {k: v.to_dict() for k, v in self.effects.items()},
            "means": {k: v.to_dict() for k, v in self.means.items()},
            "treated": self.treated, "control": self.control, "mediator": self.mediator,
            "n_sites": self.n_sites, "n_units": self.n_sites,  # n_units: deprecated, one release
            "n_periods": self.n_periods, "draws": self.draws,
            "alpha": self.alpha, "simulation": self.simulation,
            "models": [str(m) for m in self.models],
        }

    def summary(self) -> str:
        lines = [
            f"Mediational g-formula: {self.treated} vs {self.control} through `{self.mediator}` "
            f"({self.n_sites} sites x {self.n_periods} periods; "
            f"{'bootstrap ' + str(self.draws) + ' draws' if self.draws else 'no inference'}; "
            f"{self.simulation})",
        ]
        for name, e in {**self.effects, **self.means}.items():
            ci = "" if e.ci_low is None else f"  [{e.ci_low:.4f}, {e.ci_high:.4f}]"
            lines.append(f"{name:34s}{e.estimate:10.4f}{ci}")
        lines.append("models:")
        lines.extend(f"  {m}" for m in self.models)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>{self.summary().splitlines()[0]}</b></p>{self.to_frame().to_html()}"


def _spec(d: LongData, timing: tuple[bool, ...], history: int | None):
    k, p = d.L.shape[2], d.V.shape[1]
    models = []
    for t in range(d.T):
        for j in range(k):
            if t == 0 and not timing[j]:
                continue  # pre-treatment in the first period: taken from the data
            terms = tuple(terms_before("L", t, j, k=k, p=p, history=history, timing=timing))
            keep = design_keep(build_design(terms, d.V, d.L, d.A))
            binary = bool(np.isin(np.unique(d.L[:, :, j]), (0.0, 1.0)).all())
            models.append(_Model(("L", t, j), terms, keep, binary))
    terms = tuple(terms_before("Y", d.T - 1, 0, k=k, p=p, history=history, timing=timing))
    keep = design_keep(build_design(terms, d.V, d.L, d.A))
    return models, _Model(("Y", d.T - 1), terms, keep, d.binary_outcome)


def _psi(d, conf_fits, out_fit, W, strat_a, strat_m, timing, copies, rng, exact):
    """E[Y(a, G_a')] per replicate: simulate mediators under a', then the rest under a."""
    B, n = W.shape
    k, T = d.L.shape[2], d.T
    idx = np.tile(np.arange(n), copies)
    N = idx.size
    Vs, Wrep = d.V[idx], W[:, idx]
    med = k - 1

    def run(strat: Strategy, mediator_path: np.ndarray | None, z, u) -> np.ndarray:
        L = np.zeros((B, N, T, k))
        A = np.zeros((B, N, T))
        for t in range(T):
            for phase in (False, True):  # before treatment, then after it
                if phase:
                    A[:, :, t] = strat.assign(t, d.periods, L, A, d.confounders, 0)
                for j in range(k):
                    if timing[j] != phase:
                        continue
                    if j == med and mediator_path is not None:
                        L[:, :, t, j] = mediator_path[:, :, t]
                        continue
                    if ("L", t, j) not in conf_fits:
                        L[:, :, t, j] = d.L[idx, t, j]
                        continue
                    m, beta, sigma = conf_fits[("L", t, j)]
                    eta = _linear_predictor(m, beta, Vs, L, A)
                    if m.binary:
                        L[:, :, t, j] = (u[:, :, t, j] < 1 / (1 + np.exp(-eta))).astype(float)
                    elif exact:
                        L[:, :, t, j] = eta
                    else:
                        L[:, :, t, j] = eta + sigma[:, None] * z[:, :, t, j]
        if mediator_path is None:
            return L[..., med]
        m, beta, _ = out_fit
        mu = _linear_predictor(m, beta, Vs, L, A)
        if m.binary:
            mu = 1 / (1 + np.exp(-mu))
        return (Wrep * mu).sum(axis=1) / Wrep.sum(axis=1)

    noise = [(None, None) if exact else (rng.standard_normal((B, N, T, k)),
                                         rng.random((B, N, T, k))) for _ in range(2)]
    path = run(strat_m, None, *noise[0])
    return run(strat_a, path, *noise[1])


@renamed(unit="site", time="period", nested="patient")
@with_single_thread_blas
def mediational_gformula(
    data: pd.DataFrame,
    *,
    site: str,
    period: str,
    treatment: str,
    mediator: str,
    confounders: str | Sequence[str],
    outcome: str,
    treated: str | Strategy = "always",
    control: str | Strategy = "never",
    baseline: str | Sequence[str] = (),
    history: int | None = None,
    patient: str | None = None,
    inference: Bootstrap | int | None = DEFAULT_BOOTSTRAP,
    monte_carlo: int = 10_000,
    alpha: float = 0.05,
    seed: SeedLike = None,
) -> MediationOverTime:
    """Interventional overall, direct and indirect effects of ``treated`` vs ``control``.

    Parameters are as in :func:`facmech.gmethods.gformula`; ``mediator`` is measured after
    treatment in each period, ``confounders`` before it. Strategies must be static.
    """
    conf = (confounders,) if isinstance(confounders, str) else tuple(confounders)
    if mediator in conf:
        raise DataError(f"`mediator` {mediator!r} is also listed in `confounders`")
    d = prepare(data, site=site, period=period, treatment=treatment,
                confounders=(*conf, mediator), outcome=outcome, baseline=baseline,
                patient=patient)
    sa, sm = parse_strategy(treated), parse_strategy(control)
    if sa.name == sm.name:
        raise DataError(f"`treated` and `control` are the same strategy ({sa.name!r})")
    for s in (sa, sm):
        if s.dynamic:
            raise DataError(
                f"the mediational g-formula here takes static strategies (got `{s.name}`)"
            )
    check_strategies(d, (sa, sm))
    timing = (False,) * len(conf) + (True,)
    hist = _history(history)
    boot = _inference(inference)
    rng = as_generator(seed)
    W = unit_bootstrap_weights(d.n, boot.draws if boot else 0, rng)
    models, out_model = _spec(d, timing, hist)
    exact = not any(m.binary for m in (*models, out_model))
    copies = 1 if exact else max(1, math.ceil(monte_carlo / d.n))
    conf_fits = {m.target: (m, *_fit_one(d, m, W)) for m in models}
    out_fit = (out_model, *_fit_one(d, out_model, W))
    combos = {"treated, treated": (sa, sa), "treated, control": (sa, sm),
              "control, control": (sm, sm)}
    psi = {k: _psi(d, conf_fits, out_fit, W, a, m, timing, copies, rng, exact)
           for k, (a, m) in combos.items()}
    raw = {
        "overall": psi["treated, treated"] - psi["control, control"],
        "direct": psi["treated, control"] - psi["control, control"],
        "indirect": psi["treated, treated"] - psi["treated, control"],
    }

    def est(v: np.ndarray, *, p: bool) -> Estimate:
        if boot is None:
            return Estimate(float(v[0]))
        e = Estimate.from_draws(float(v[0]), v[1:], alpha=alpha)
        return e if p else Estimate(e.estimate, e.std_error, e.ci_low, e.ci_high, None)

    means = {f"E[Y({sa.name if a is sa else sm.name}, G({sa.name if m is sa else sm.name}))]":
             est(psi[k], p=False) for k, (a, m) in combos.items()}
    names = [*d.confounders]
    info = []
    for m in (*models, out_model):
        tn = term_names(m.terms, treatment=d.treatment, confounders=names, baseline=d.baseline,
                        periods=d.periods.tolist())
        target = (f"{d.outcome}[{d.periods[-1]}]" if m.target[0] == "Y"
                  else f"{names[m.target[2]]}[{d.periods[m.target[1]]}]")
        fam = "logistic" if m.binary else "linear-normal" if m.target[0] == "L" else "linear"
        info.append(ModelInfo(target, fam, tuple(tn[i] for i in m.keep)))
    return MediationOverTime(
        treated=sa.name, control=sm.name, mediator=mediator,
        effects={k: est(v, p=True) for k, v in raw.items()}, means=means, models=tuple(info),
        n_sites=d.n, n_periods=d.T, draws=boot.draws if boot else 0, alpha=alpha,
        simulation="exact (linear models)" if exact else f"Monte Carlo, {copies * d.n} sites",
    )

