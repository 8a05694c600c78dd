"""The mediator and outcome models of a mediation analysis as statsmodels results objects.

Every :class:`~facmech.mediation.results.MediationResult` carries a :class:`ModelSet` in
``res.models``: a mapping from the modelled column (each mediator, then the outcome) to a
statsmodels results object, fitted once, on first access, by ``statsmodels`` OLS, GLM (binomial
with logit or probit link) or, with ``random_intercept=True``, ``MixedLM``, with the formula facmech
used (see :mod:`facmech.mediation.formulas`). facmech's batched core reproduces these fits to
1e-8 and serves resampling; the statsmodels objects are what users inspect and reuse.

A :class:`ModelSet` also runs the analysis when the models come from the user (formulas, fitted
statsmodels models) or are mixed models: it maps every model's coefficients onto the column layout
of the closed-form mediation formula (:class:`facmech.mediation.effects.Layout`; a covariate
missing from one model has coefficient 0 there), draws the coefficients from their joint
covariance (quasi-Bayesian Monte Carlo, Imai, Keele & Tingley 2010) and evaluates the formula on
every draw.

A continuous treatment (``control=`` and ``treated=`` values of a numeric column, R mediation's
``control.value``/``treat.value``) enters the models as it is; the effects compare the two values.
Internally :math:`A' = (A - a_0)/(a_1 - a_0)` is the same model reparametrized (treatment
coefficient times :math:`a_1 - a_0`, treatment-by-mediator coefficients likewise, the intercept and
mediator coefficients shifted by :math:`a_0` times them), so the 0/1 formulas apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from facmech._random import SeedLike, as_generator
from facmech.errors import ArgumentError, DataError, EstimationError
from facmech.estimates import Estimate
from facmech.estimation.covariance import Classical, Clustered, ModelPieces, Robust
from facmech.estimation.resampling import coefficient_draws
from facmech.mediation.effects import Layout
from facmech.mediation.engine import _effects as engine_effects
from facmech.mediation.engine import _pieces as engine_pieces
from facmech.mediation.exposure import ExposureLayout
from facmech.mediation.formulas import quote
from facmech.mediation.keys import Naming
from facmech.mediation.mixed import fit_mixed, fixed_effects
from facmech.mediation.spec import Family

__all__ = ["ModelSet", "fit_model", "roles"]


def fit_model(formula: str, frame: pd.DataFrame, family: Family, *, groups: Any = None):
    """Fit one model with statsmodels: OLS (Gaussian), GLM binomial logit/probit, or ``MixedLM``
    with a random intercept per ``groups`` (Gaussian only)."""
    import patsy
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import MissingDataError

    try:
        if groups is not None:
            return fit_mixed(formula, frame, groups)
        if family is Family.GAUSSIAN:
            return smf.ols(formula, frame).fit()
        link = sm.families.links.Probit() if family is Family.PROBIT else sm.families.links.Logit()
        return smf.glm(formula, frame, family=sm.families.Binomial(link=link)).fit(
            tol=1e-13, maxiter=200
        )
    except MissingDataError as exc:  # a transformed term (np.log(0), 1/0) is inf or NaN
        raise DataError(
            f"the model {formula!r} has infinite or missing values in its terms ({exc}); "
            "transform only values where the function is finite"
        ) from None
    except patsy.PatsyError as exc:
        first = str(exc).splitlines()[0]
        raise ArgumentError(f"the formula {formula!r} cannot be evaluated: {first}") from None


def _is_mixed(res: Any) -> bool:
    return type(res.model).__name__ == "MixedLM"


def _params(res: Any) -> tuple[pd.Series, pd.DataFrame]:
    """Coefficients (fixed effects of a mixed model) and their model-based covariance."""
    if _is_mixed(res):
        return fixed_effects(res)
    return res.params, res.cov_params()


def _exog(res: Any) -> np.ndarray:
    return np.asarray(res.model.exog, dtype=float)


def _pieces(res: Any, family: Family) -> ModelPieces:
    """Working design, residuals and bread of one statsmodels fit (the batched core's
    :func:`~facmech.mediation.engine._pieces` on one replicate), for the sandwich covariances."""
    X = _exog(res)[None]
    y = np.asarray(res.model.endog, dtype=float)[None]
    sigma = np.array([np.sqrt(float(res.scale)) if family is Family.GAUSSIAN else 1.0])
    return engine_pieces(X, y, np.asarray(res.params, dtype=float)[None], sigma, family)


@dataclass(frozen=True, eq=False)
class _Roles:
    treatment: str
    mediators: tuple[str, ...]
    outcome: str
    control: float = 0.0
    treated: float = 1.0
    exposure: str | None = None  # exposure-time column entered as C(exposure)


@dataclass(frozen=True, eq=False)
class ModelSet(Mapping):
    """The mediator models (by mediator name) and the outcome model (by outcome name) of one
    analysis as statsmodels results objects, fitted lazily and once.

    Use it as a dict: ``res.models["trust"].summary()``, ``res.models.formulas``. It also gives
    the joint covariance of all coefficients (:meth:`cov_params`) and the draws behind the
    Monte Carlo intervals.

    Attributes
    ----------
    formulas : Mapping[str, str]
        The formula of every model (patsy syntax).
    families : Mapping[str, Family]
    mixed : bool
        Whether the models have a random intercept per site (``MixedLM``).
    covariance : Classical, Robust, Clustered or None
        The covariance of the coefficients used for inference (``None``: the mixed models'
        model-based covariance).
    """

    formulas: Mapping[str, str]
    families: Mapping[str, Family]
    roles: _Roles
    frame: pd.DataFrame | None = field(default=None, repr=False)
    groups: np.ndarray | None = field(default=None, repr=False)
    cluster: np.ndarray | None = field(default=None, repr=False)
    mixed: bool = False
    covariance: Classical | Robust | Clustered | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- mapping ---------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        if name not in self.formulas:
            raise KeyError(
                f"no model for {name!r}; models: {list(self.formulas)} (mediators, then outcome)"
            )
        if name not in self._cache:
            self._cache[name] = fit_model(
                self.formulas[name], self.frame, self.families[name],
                groups=self.groups if self.mixed else None,
            )
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.formulas)

    def __len__(self) -> int:
        return len(self.formulas)

    def __repr__(self) -> str:
        kind = "MixedLM" if self.mixed else "OLS/GLM"
        body = ", ".join(f"{k!r}: {v!r}" for k, v in self.formulas.items())
        return f"ModelSet({kind}; {{{body}}})"

    @property
    def order(self) -> tuple[str, ...]:
        return (*self.roles.mediators, self.roles.outcome)

    def describe_inference(self, inference: Any, n_clusters: int | None,
                           df: float | None) -> str:
        """The inference text of a result's ``method``."""
        if self.mixed:
            return (f"quasi-Bayesian Monte Carlo ({inference.draws} draws), the mixed models' "
                    "fixed-effect covariance, normal draws")
        return inference.describe(n_clusters, df)

    # -- coefficients and their covariance -------------------------------------------------
    def cov_params(self) -> pd.DataFrame:
        """Joint covariance of every model's coefficients, labelled by (model, term).

        The estimator is the one the intervals use: site-clustered CR2 (or the ``covariance`` of
        the ``MonteCarlo`` inference) for OLS/GLM models, keeping the covariance across models
        from shared sites; the mixed models' fixed-effect covariance (independent across models)
        with random intercepts.
        """
        V = self._joint_cov()
        idx = pd.MultiIndex.from_tuples(
            [(name, term) for name in self.order for term in _params(self[name])[0].index],
            names=["model", "term"],
        )
        return pd.DataFrame(V, index=idx, columns=idx)

    def _joint_cov(self) -> np.ndarray:
        fits = [self[name] for name in self.order]
        cov = self.covariance
        if self.mixed or isinstance(cov, Classical):
            blocks = [_params(r)[1].to_numpy() for r in fits]
            P = sum(b.shape[0] for b in blocks)
            V = np.zeros((P, P))
            i = 0
            for b in blocks:
                V[i:i + len(b), i:i + len(b)] = b
                i += len(b)
            return V
        pieces = [_pieces(r, self.families[n]) for r, n in zip(fits, self.order, strict=True)]
        V, _ = cov.covariance(pieces, self.cluster)
        return V[0]

    def _df(self) -> float | None:
        if self.mixed or isinstance(self.covariance, Classical | Robust):
            return None
        fits = [self[name] for name in self.order]
        pieces = [_pieces(r, self.families[n]) for r, n in zip(fits, self.order, strict=True)]
        return self.covariance.covariance(pieces, self.cluster)[1]

    # -- the layout of the closed-form mediation formula ------------------------------------
    def _layout(self) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, Layout, int]:
        """Per model the matrix mapping its coefficients to the layout, the shared rows ``C``,
        the layout and the number of treatment slots (exposure times, else 1)."""
        r = self.roles
        meds = list(r.mediators)
        fits = [self[name] for name in self.order]
        names = [list(_params(f)[0].index) for f in fits]
        n = {len(_exog(f)) for f in fits}
        if len(n) != 1:
            raise EstimationError(
                f"the models were fitted on different numbers of rows ({sorted(n)}); fit every "
                "model on the same complete rows"
            )
        tr = {r.treatment}
        if r.exposure is not None:
            prefix = f"C({quote(r.exposure)})[T."
            slots = sorted({c for nm in names for c in nm if c.startswith(prefix)},
                           key=lambda c: float(c[len(prefix):-1]))
        else:
            slots = [r.treatment]
        tr |= set(slots)

        def role(col: str) -> tuple[str, int]:
            if col in slots:
                return "a", slots.index(col)
            if col in meds:
                return "m", meds.index(col)
            parts = col.split(":")
            if len(parts) == 2 and r.treatment in parts:
                other = parts[1] if parts[0] == r.treatment else parts[0]
                if other in meds:
                    return "am", meds.index(other)
            return "c", -1

        shared: list[str] = []
        for nm in names:
            shared += [c for c in nm if role(c)[0] == "c" and c not in shared]
        if "Intercept" not in shared:
            raise EstimationError("every model needs an intercept (patsy's 'Intercept' column)")
        shared.remove("Intercept")
        shared.insert(0, "Intercept")
        inter = any(role(c)[0] == "am" for nm in names for c in nm)
        E = len(slots)
        layout = Layout(p=len(shared), k=len(meds), interaction=inter)
        p = layout.p
        C = np.zeros((n.pop(), p))
        filled = np.zeros(p, bool)
        s, a0 = r.treated - r.control, r.control
        maps = []
        for j, (fit, nm) in enumerate(zip(fits, names, strict=True)):
            K = layout.n_coef(j) + E - 1
            T = np.zeros((K, len(nm)))
            X = _exog(fit)
            for col, name in enumerate(nm):
                kind, l_ = role(name)
                if kind == "c":
                    i = shared.index(name)
                    T[i, col] = 1.0
                    if not filled[i]:
                        C[:, i], filled[i] = X[:, col], True
                elif kind == "a":
                    T[p + l_, col] = s
                    T[0, col] += a0
                elif kind == "m":
                    T[p + E + l_, col] = 1.0
                else:
                    T[p + E + j + l_, col] = s
                    T[p + E + l_, col] += a0
            maps.append(T)
        return maps, [np.asarray(_params(f)[0]) for f in fits], C, layout, E

    def _sigmas(self) -> list[np.ndarray]:
        return [np.array([[np.sqrt(float(self[m].scale))]]) for m in self.roles.mediators]

    def effect_draws(self, *, draws: int, seed: SeedLike, exposure: np.ndarray | None = None,
                     treatment: np.ndarray | None = None, window: int | None = None,
                     coefficients: bool = False):
        """Plug-in effects and ``draws`` Monte Carlo draws of every effect, keyed by
        :class:`~facmech.mediation.keys.EffectKey` as the batched core keys them (mediators by
        name)."""
        maps, params, C, layout, _ = self._layout()
        fam_m = self.families[self.roles.mediators[0]]
        fam_y = self.families[self.roles.outcome]
        theta = np.concatenate([T @ b for T, b in zip(maps, params, strict=True)])
        Tall = np.zeros((len(theta), sum(len(b) for b in params)))
        i = j = 0
        for T in maps:
            Tall[i:i + T.shape[0], j:j + T.shape[1]] = T
            i, j = i + T.shape[0], j + T.shape[1]
        V = Tall @ self._joint_cov() @ Tall.T
        df = self._df()
        drawn = coefficient_draws(theta, V, draws, as_generator(seed), df=df)  # (draws, P)
        sizes = [T.shape[0] for T in maps]
        split = np.cumsum(sizes)[:-1]
        point_c = [c[None, None] for c in np.split(theta, split)]
        draw_c = [c[None] for c in np.split(drawn, split, axis=-1)]
        sig = self._sigmas()
        C3 = C[None]
        naming = Naming(self.roles.mediators, self.roles.treatment, self.roles.outcome)
        if self.roles.exposure is not None:
            eti = ExposureLayout(exposure[None], treatment[None], layout, window)
            point = eti.effects(point_c, sig, C3, None, fam_y, fam_m, naming)
            deff = eti.effects(draw_c, sig, C3, None, fam_y, fam_m, naming)
        else:
            point = _effects(point_c, sig, C3, layout, fam_y, fam_m, naming)
            deff = _effects(draw_c, sig, C3, layout, fam_y, fam_m, naming)
        point = {k: float(v[0, 0]) for k, v in point.items()}
        deff = {k: v[0] for k, v in deff.items()}
        return point, deff, df

    def test_interaction(self, *, draws: int = 1000, alpha: float = 0.05,
                         seed: SeedLike = None) -> Estimate:
        """ACME(treated) - ACME(control), ``nie_treated - nie_control``: the treatment-by-mediator
        interaction's effect on the indirect effect (R ``mediation::test.TMint``), with a Monte
        Carlo interval and p-value from this model set's coefficient covariance."""
        if not self._layout()[3].interaction:
            raise ArgumentError(
                "`test_interaction` needs a treatment-by-mediator interaction in the outcome "
                "model (`interaction=True` or an 'A:M' term in the formula)"
            )
        if self.roles.exposure is not None:
            raise ArgumentError(
                "`test_interaction` is not defined under the exposure-time effect model"
            )
        point, deff, _ = self.effect_draws(draws=draws, seed=seed)
        return Estimate.from_draws(point["nie_treated"] - point["nie_control"],
                                   deff["nie_treated"] - deff["nie_control"], alpha=alpha)


def _effects(coefs, sigmas, C, layout, family, mfamily, naming):
    """The batched core's effect formulas at covariate means (linear) or over all rows."""
    R, n = C.shape[:2]
    if family is Family.GAUSSIAN and mfamily is Family.GAUSSIAN:
        rows, roww = C.mean(axis=1)[:, None, None, :], np.ones((R, 1, 1))
    else:
        rows, roww = C[:, None], np.full((R, 1, n), 1.0 / n)
    return engine_effects(coefs, sigmas, rows, roww, layout, family, mfamily, naming)


def roles(treatment: str, mediators: Sequence[str], outcome: str, *, control: float = 0.0,
          treated: float = 1.0, exposure: str | None = None) -> _Roles:
    """The roles of the columns in a :class:`ModelSet`."""
    return _Roles(treatment, tuple(mediators), outcome, float(control), float(treated), exposure)
