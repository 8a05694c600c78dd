r"""What a design study estimates in each simulated trial, batched over replicates.

:class:`Analysis` chooses the estimands:

* Map scenarios (:class:`~facmech.design.MapTrial`, parallel or stepped wedge): ``total``,
  ``direct`` and the indirect effect come from the engine under :func:`facmech.mediate`
  (:func:`~facmech.mediation.engine.mediate_arrays`) run on the site-period data of all ``R``
  replicates at once: period fixed effects, site-clustered CR2 covariance with quasi-Bayesian Monte
  Carlo intervals (``mc_draws`` draws; ``mediate``'s default) and, on a stepped wedge, the
  exposure-time indicator model (Kenny, Voldal, Xia & Heagerty 2022) whose exposure-time-averaged
  effects are the truth :meth:`MapTrial.truth <facmech.design.MapTrial.truth>` reports
  (``total_eti``/``nde_eti``/``nie_eti`` of :func:`facmech.simulation.true_effects`). A design
  study thus analyses each simulated trial as a user's ``mediate`` call would.
* Other trial models (:mod:`facmech.design.model`, constant effects by construction):
* ``total``: the total effect of the strategy, from the random-intercept model with period effects
  (:func:`~facmech.design.estimators.random_intercept_fit`; Hussey & Hughes 2007), Wald t interval.
* ``mediation``: product-of-coefficients mediation on the site-level mediators (Baron & Kenny 1986;
  MacKinnon 2008): per mediator :math:`k` an :math:`a_k` model (mediator on exposure) and one outcome
  model (outcome on exposure and all mediators) giving :math:`b_k` and the direct effect :math:`c'`.
  The indirect effect :math:`\hat a_k \hat b_k` has a Monte Carlo interval (Preacher & Selig 2012)
  from ``mc_draws`` draws, and is declared significant when that interval excludes zero. The draws
  are :math:`\hat a + se_a\, t_{df_a}` and :math:`\hat b + se_b\, t_{df_b}` (t rather than normal,
  with each path's degrees of freedom), so that with few sites the test agrees with the joint
  significance test instead of being anti-conservative. With several mediators the joint indirect
  effect ``indirect`` is :math:`\sum_k \hat a_k \hat b_k` (interval from the summed draws), which for
  ordered mediators (:math:`a_k` the exposure's total effect on mediator :math:`k`) is the effect
  along every path through at least one of them
  (:func:`~facmech.estimation.intervals.indirect_interval`).
* ``gformula``: the sustained-dose contrast ``sustained`` by the linear ICE g-formula with a
  jackknife (default) or sandwich standard error (:func:`~facmech.gmethods.ice.ice_contrast`; map
  scenarios with a dose feedback, see :class:`~facmech.design.MapTrial`).
* ``regimes``: the embedded-regime contrast of a SMART (:mod:`facmech.design.smart`).

On a SMART (:class:`~facmech.design.MapTrial` with a :class:`facmech.simulation.SMART` design),
``total`` and ``mediation`` are the EF+IF vs EF comparisons among non-responders
(:func:`~facmech.design.smart.smart_batch`).

>>> Analysis.parse("total").parts
(<Part.TOTAL: 'total'>,)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from facmech._choice import DesignChoice
from facmech.design.estimators import indirect_estimates, random_intercept_fit
from facmech.design.model import TrialModel
from facmech.design.smart import smart_batch
from facmech.errors import DesignError, EstimationError
from facmech.estimation.estimate import wald_intervals
from facmech.estimation.intervals import product_draws
from facmech.estimation.resampling import replicate_t_draws
from facmech.gmethods.ice import ice_contrast
from facmech.mediation.engine import mediate_arrays
from facmech.mediation.inference import MonteCarlo
from facmech.mediation.keys import EffectKey
from facmech.power._common import check_alpha, check_count

__all__ = ["Analysis", "Part", "analyze_batch", "indirect_estimands"]


class Part(DesignChoice):
    """One block of estimands of an :class:`Analysis`."""

    TOTAL = "total"
    MEDIATION = "mediation"
    GFORMULA = "gformula"
    REGIMES = "regimes"


@dataclass(frozen=True)
class Analysis:
    """The analysis run on every simulated trial.

    Parameters
    ----------
    parts : tuple of Part
        Any of ``total``, ``mediation``, ``gformula`` and ``regimes`` (SMART only).
    alpha : float, default 0.05
        Two-sided level of every test and ``1 - alpha`` intervals.
    mc_draws : int, default 1000
        Monte Carlo draws for each indirect-effect interval.
    gformula_se : {"jackknife", "sandwich"}, default "jackknife"
        Standard error of the ``gformula`` contrast (see :func:`~facmech.gmethods.ice.ice_contrast`):
        the delete-one-site jackknife covers at the nominal level from about 48 sites and
        conservatively below; the sandwich under-covers with fewer than about 100 sites
        (simulations/design/results/gformula.md).
    model : {"mediate", "random_intercept"}, default "mediate"
        How map scenarios (:class:`~facmech.design.MapTrial`) are analysed for ``total`` and
        ``mediation``: ``"mediate"`` by the engine under :func:`facmech.mediate` (exposure-time model
        on stepped wedges; the estimands the truth reports), ``"random_intercept"`` by the
        constant-effect random-intercept model (Hussey & Hughes 2007), as other trial models are.
        The latter targets the truth only when the effect does not vary with exposure time (on the
        built-in scenarios it does not: simulations/validity/README.md); it has the power of the
        Hussey & Hughes closed form.
    """

    parts: tuple[Part, ...] = (Part.TOTAL, Part.MEDIATION)
    alpha: float = 0.05
    mc_draws: int = 1000
    gformula_se: str = "jackknife"
    model: str = "mediate"

    def __post_init__(self) -> None:
        parts = tuple(dict.fromkeys(_part(p) for p in self.parts))
        if not parts:
            raise DesignError(
                "`analysis` must include at least one of 'total', 'mediation', 'gformula', "
                "'regimes'"
            )
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "alpha", check_alpha(self.alpha))
        object.__setattr__(self, "mc_draws", check_count("mc_draws", self.mc_draws, minimum=100))
        if self.gformula_se not in ("sandwich", "jackknife"):
            raise DesignError(
                f"`gformula_se` must be 'sandwich' or 'jackknife' (got {self.gformula_se!r})"
            )

        if self.model not in ("mediate", "random_intercept"):
            raise DesignError(
                f"`model` must be 'mediate' or 'random_intercept' (got {self.model!r})"
            )

    @classmethod
    def parse(cls, value: Analysis | str | Sequence[str] | None) -> Analysis:
        """Accept an Analysis, a part name, or a sequence of part names (None: both)."""
        if value is None:
            return cls()
        if isinstance(value, Analysis):
            return value
        if isinstance(value, (str, Part)):
            return cls(parts=(_part(value),))
        return cls(parts=tuple(_part(v) for v in value))

    def estimands(self, trial: TrialModel) -> tuple[str, ...]:
        """Names of the estimands this analysis reports for ``trial``."""
        names: list[str] = []
        smart = bool(getattr(trial, "is_smart", False))
        if Part.TOTAL in self.parts:
            names.append("total")
        if Part.MEDIATION in self.parts:
            if not trial.mediator_names:
                raise DesignError("the `mediation` analysis needs a scenario with mediators")
            names.append("direct")
            names.extend(indirect_estimands(trial))
        if Part.GFORMULA in self.parts:
            if smart or not getattr(trial, "confounders", ()):
                raise DesignError(
                    "the `gformula` analysis needs a map scenario (MapTrial) in a parallel or "
                    "stepped-wedge design whose strategy node has a feedback (lag-1) parent; got "
                    + ("a SMART design" if smart else type(trial).__name__)
                )
            names.append("sustained")
        if Part.REGIMES in self.parts:
            if not smart:
                raise DesignError(
                    "the `regimes` analysis compares the embedded regimes of a SMART design; "
                    f"this trial is not a SMART ({type(trial).__name__})"
                )
            names.append("regimes")
        return tuple(names)


def indirect_estimands(trial: TrialModel) -> tuple[str, ...]:
    """Indirect-effect estimands of ``trial``: ``indirect:<m>`` per mediator and, with several
    mediators, the joint ``indirect`` (sum of the products), unless the trial restricts them with an
    ``indirect_estimands`` attribute (:class:`~facmech.design.MapTrial` with several ordered
    mediators reports only the joint one, the effect the map identifies).

    >>> from facmech.design.model import LinearTrial, Mediator
    >>> indirect_estimands(LinearTrial(mediators=(Mediator("a", 0.5, 0.4),
    ...                                           Mediator("b", 0.3, 0.2))))
    ('indirect:a', 'indirect:b', 'indirect')
    """
    own = getattr(trial, "indirect_estimands", None)
    if own is not None:
        return tuple(own)
    meds = tuple(trial.mediator_names)
    return tuple(f"indirect:{m}" for m in meds) + (("indirect",) if len(meds) > 1 else ())


def _part(value: object) -> Part:
    return Part.parse(value, argument="analysis")


def analyze_batch(
    trial: TrialModel,
    analysis: Analysis,
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray,
    rngs: Sequence[np.random.Generator],
    *,
    extra: Mapping[str, np.ndarray] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Run ``analysis`` on ``R`` replicates at once.

    Parameters
    ----------
    x : array (R, I, T)
        Exposure (0/1) of each site-period.
    y : array (R, I, T)
        Outcome site-period means.
    m : array (R, K, I, T)
        Measured mediators.
    rngs : sequence of R generators
        Each replicate's own stream (continued after its data were drawn), for Monte Carlo
        intervals.
    extra : mapping, optional
        Further stacked arrays of :meth:`MapTrial.draw_data <facmech.design.MapTrial.draw_data>`:
        ``dose`` (R, I, T) and ``confounders`` (R, I, T, k) for ``gformula``, ``responder``
        (R, I) for a SMART.

    Returns
    -------
    dict
        Per estimand, arrays ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``reject`` of
        length ``R``.
    """
    n_r = y.shape[0]
    extra = {} if extra is None else extra
    if getattr(trial, "is_smart", False):
        out = smart_batch(
            x=np.asarray(x, dtype=float), y=y, m=m, responder=extra["responder"],
            stage1=trial.design.stage1_periods,  # type: ignore[attr-defined]
            mediators=trial.mediator_names, parts=[p.value for p in analysis.parts],
            alpha=analysis.alpha, mc_draws=analysis.mc_draws, rngs=rngs,
        )
        return _checked(out, n_r)
    out: dict[str, dict[str, np.ndarray]] = {}
    if analysis.model == "mediate" and getattr(trial, "scenario", None) is not None and (
            Part.TOTAL in analysis.parts or Part.MEDIATION in analysis.parts):
        out.update(_mediate_batch(trial, analysis, np.asarray(x, dtype=float), y, m, rngs))
    x = np.asarray(x, dtype=float)[..., None]
    if Part.TOTAL in analysis.parts and "total" not in out:
        fit = random_intercept_fit(y, x)
        out["total"] = wald_intervals(fit.coef[:, 0], fit.std_error[:, 0], df=fit.df[0],
                                      alpha=analysis.alpha).columns()
    if Part.MEDIATION in analysis.parts and "direct" not in out:
        k = m.shape[1]
        meds = np.moveaxis(m, 1, -1)  # (R, I, T, K)
        outcome = random_intercept_fit(y, np.concatenate([x, meds], axis=3))
        out["direct"] = wald_intervals(outcome.coef[:, 0], outcome.std_error[:, 0],
                                       df=outcome.df[0], alpha=analysis.alpha).columns()
        a_fits = [random_intercept_fit(m[:, j], x) for j in range(k)]
        df = np.array([a_fits[0].df[0], outcome.df[1]])  # exposure path, outcome path
        z = replicate_t_draws(rngs, np.broadcast_to(df[None, :, None], (n_r, 2, k)),
                              analysis.mc_draws)  # (R, 2, K, D)
        paths = (np.stack([f.coef[:, 0] for f in a_fits], axis=1),
                 np.stack([f.std_error[:, 0] for f in a_fits], axis=1),
                 outcome.coef[:, 1:1 + k], outcome.std_error[:, 1:1 + k])
        prods = product_draws(*paths, z[:, 0], z[:, 1])  # (R, K, D)
        out.update(indirect_estimates(trial.mediator_names, paths, prods, analysis.alpha))
    if Part.GFORMULA in analysis.parts:
        treat, control = trial.sustained_strategy()  # type: ignore[attr-defined]
        fit = ice_contrast(extra["dose"], extra["confounders"], y, treat=treat, control=control,
                           std_error=analysis.gformula_se)
        out["sustained"] = wald_intervals(fit.estimate, fit.std_error, df=fit.df,
                                          alpha=analysis.alpha).columns()
    return _checked(out, n_r)



def _mediate_batch(trial: TrialModel, analysis: Analysis, x: np.ndarray, y: np.ndarray,
                   m: np.ndarray, rngs: Sequence[np.random.Generator]
                   ) -> dict[str, dict[str, np.ndarray]]:
    """``total`` (and ``direct``, indirect) of a map scenario by the engine under
    :func:`facmech.mediate` (:func:`~facmech.mediation.engine.mediate_arrays`) on the site-period
    data of all replicates at once: period fixed effects, site-clustered CR2 Monte Carlo inference
    (``mediate``'s default) and, when the exposure rolls out over periods (a stepped wedge), the
    exposure-time indicator model whose exposure-time-averaged effects are the truth's
    ``total_eti``/``nde_eti``/``nie_eti`` (:meth:`MapTrial.truth <facmech.design.MapTrial.truth>`)."""
    n_r, n_i, n_t = y.shape
    n = n_i * n_t
    treat = x.reshape(n_r, n)
    site = np.repeat(np.arange(n_i), n_t)
    periods = np.tile(np.arange(n_t), n_i)
    cov = (periods[:, None] == np.arange(1, n_t)[None, :]).astype(float)  # (n, T-1)
    rollout = bool(np.any(x.min(axis=2) != x.max(axis=2)))
    exposure = (np.cumsum(x, axis=2) * x).astype(int).reshape(n_r, n) if rollout else None
    mediation = Part.MEDIATION in analysis.parts
    if m.shape[1]:
        meds = np.moveaxis(m, 1, -1).reshape(n_r, n, -1)
    else:  # no mediators: the engine needs one, and with least squares the total effect
        # (c' + a b = the reduced-form coefficient) does not depend on which
        meds = np.random.default_rng(0).normal(size=(n_r, n, 1))
    seed = np.random.SeedSequence([int(g.integers(2**32)) for g in rngs])
    res = mediate_arrays(treat, meds, y.reshape(n_r, n), cov, site=site,
                         inference=MonteCarlo(draws=analysis.mc_draws), alpha=analysis.alpha,
                         seed=np.random.default_rng(seed), exposure=exposure)
    names = list(res.names)

    def cols(key: str) -> dict[str, np.ndarray]:
        j = names.index(EffectKey(key))
        return {"estimate": res.estimate[:, j], "std_error": res.std_error[:, j],
                "ci_low": res.ci_low[:, j], "ci_high": res.ci_high[:, j],
                "reject": res.p_value[:, j] < analysis.alpha}

    out: dict[str, dict[str, np.ndarray]] = {}
    if Part.TOTAL in analysis.parts:
        out["total"] = cols("total")
    if mediation:
        out["direct"] = cols("nde")
        out[indirect_estimands(trial)[0]] = cols("nie")
    return out


def _checked(out: dict[str, dict[str, np.ndarray]], n_r: int) -> dict[str, dict[str, np.ndarray]]:
    for name, cols in out.items():
        if any(arr.shape != (n_r,) or not np.isfinite(arr).all() for arr in cols.values()):
            raise EstimationError(f"non-finite estimates for `{name}` in a simulated replicate")
    return out
