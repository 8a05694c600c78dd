"""Random intercepts for site: linear mixed mediator and outcome models fitted by statsmodels
``MixedLM``.

With ``mediate(..., random_intercept=True)`` every mediator and outcome model becomes

.. math:: M_{ij} = C_{ij}\\gamma + \\alpha A_{ij} + \\dots + u_j + \\varepsilon_{ij}, \\qquad
          u_j \\sim N(0, \\tau^2),\\ \\varepsilon_{ij} \\sim N(0, \\sigma^2),

fitted by restricted maximum likelihood (REML, as ``lme4::lmer``'s default). Random intercepts
shift a site's mean and cancel from every contrast of the linear mediation formula, so the effects
are those of the fixed effects; their inference uses the models' fixed-effect covariance
:math:`(X^\\top \\hat V^{-1} X)^{-1}` with quasi-Bayesian normal draws (independent across models),
as R ``mediation::mediate`` does for ``lmer`` fits (Imai, Keele & Tingley 2010). Only Gaussian
families: statsmodels has no frequentist mixed GLM.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from facmech.errors import EstimationError

__all__ = ["fit_mixed", "fixed_effects"]


_STALL = 1e-5  # |REML gradient| per observation above which a fit has not reached the optimum


def _fit(model, method: str, start=None, gtol: float = 1e-6, maxiter: int = 100):
    """One ``MixedLM.fit`` by ``method``: the results, the norm of the profiled REML gradient per
    observation there, and the convergence warnings statsmodels raised."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        kw = {"gtol": gtol} if method == "bfgs" else {}
        res = model.fit(reml=True, method=[method], start_params=start, maxiter=maxiter, **kw)
    packed = res.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
    grad = float(np.linalg.norm(model.score(packed, profile_fe=True))) / model.nobs
    messages = [str(c.message) for c in caught if issubclass(c.category, ConvergenceWarning)]
    return res, grad, messages


def fit_mixed(formula: str, frame: pd.DataFrame, groups: np.ndarray):
    """REML fit of ``formula`` with one random intercept per group (statsmodels ``MixedLM``).

    BFGS to a per-observation gradient of 1e-6, then at most 20 BFGS iterations towards 1e-8
    from there, so that the fixed effects agree with ``lme4``'s to about 1e-8 (rounding in the
    REML gradient can keep BFGS from 1e-8 at the optimum; the fit is then certified by BFGS at
    1e-6, ``Converged: Yes``). Where BFGS stalls away from the optimum (REML gradient above
    1e-5 per observation; it happens, e.g. ``tests/mediation/results/bfgs_stall.csv``), Powell's
    method finds the optimum and BFGS polishes it. A fit still away from the optimum, or on the
    boundary (site variance zero), raises :class:`EstimationError`.
    """
    from statsmodels.formula.api import mixedlm

    model = mixedlm(formula, frame, groups=groups)
    res, grad, messages = _fit(model, "bfgs")
    if grad > _STALL:
        res, grad, messages = _fit(model, "powell")
    polished = _fit(model, "bfgs", start=res.params_object, gtol=1e-8, maxiter=20)
    if polished[1] <= max(grad, _STALL):
        res, grad, messages = polished
    boundary = [m for m in messages if "boundary" in m or "Hessian" in m]
    if grad > _STALL or boundary:
        why = boundary[0] if boundary else f"|REML gradient| {grad:.1e} per observation"
        raise EstimationError(
            f"the random-intercept model {formula!r} did not converge ({why}); a site variance "
            "at zero means the random intercept is not needed"
        )
    if not res.converged:
        res = _fit(model, "bfgs", start=res.params_object)[0]
    return res


def fixed_effects(res) -> tuple[pd.Series, pd.DataFrame]:
    """The fixed-effect coefficients and their covariance :math:`(X^\\top \\hat V^{-1} X)^{-1}`
    given the estimated variances, as ``lme4``'s ``vcov`` (statsmodels' ``cov_params`` inverts
    the full observed information instead, which differs by up to a few tenths of a percent).

    With :math:`V_g = \\sigma^2 I + \\tau^2 \\mathbf 1 \\mathbf 1^\\top` for site :math:`g` of
    size :math:`n_g`, :math:`X_g^\\top V_g^{-1} X_g = \\sigma^{-2}\\{X_g^\\top X_g
    - \\tau^2 (\\sigma^2 + n_g\\tau^2)^{-1} X_g^\\top \\mathbf 1 \\mathbf 1^\\top X_g\\}`.
    """
    fe = res.fe_params
    X = np.asarray(res.model.exog, dtype=float)
    codes, _ = pd.factorize(np.asarray(res.model.groups))
    sigma2, tau2 = float(res.scale), float(np.asarray(res.cov_re)[0, 0])
    sums = np.zeros((codes.max() + 1, X.shape[1]))
    np.add.at(sums, codes, X)
    ng = np.bincount(codes)
    info = X.T @ X - (sums * (tau2 / (sigma2 + ng * tau2))[:, None]).T @ sums
    V = np.linalg.inv(info / sigma2)
    return fe, pd.DataFrame(V, index=fe.index, columns=fe.index)
