"""``facmech.mediation.mixed``: statsmodels ``MixedLM`` REML fits against lme4.

References: ``results/bfgs_stall_lme4.R`` (R 4.2.2, lme4 1.1-31, REML) on ``results/bfgs_stall.csv``
(``make_bfgs_stall.py``), a data set on which statsmodels' BFGS stops far from the optimum
(|REML gradient| 0.008 per row, llf -4337.212 vs lme4's -4336.629); the R ``student`` cases in
``test_student.py`` cover fits where BFGS reports failure at the optimum.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.formula.api import mixedlm

from facmech.errors import EstimationError
from facmech.mediation.mixed import fit_mixed, fixed_effects

RESULTS = Path(__file__).parent / "results"


def test_bfgs_stall_is_recovered_and_matches_lme4():
    df = pd.read_csv(RESULTS / "bfgs_stall.csv")
    ref = json.loads((RESULTS / "bfgs_stall_lme4.json").read_text())
    formula = "trust ~ fac + lead + x"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = mixedlm(formula, df, groups=df["site"]).fit(reml=True, method=["bfgs"],
                                                            gtol=1e-10)
    assert not plain.converged and plain.llf < ref["reml_loglik"] - 0.5  # the stall
    res = fit_mixed(formula, df, df["site"].to_numpy())
    assert res.converged and res.method == "REML"
    assert res.llf == pytest.approx(ref["reml_loglik"], abs=1e-6)
    got = res.fe_params.rename({"Intercept": "(Intercept)"})
    for term, value in ref["params"].items():
        assert got[term] == pytest.approx(value, abs=1e-8), term
    _, cov = fixed_effects(res)
    np.testing.assert_allclose(cov.to_numpy(), np.array(ref["cov"]), rtol=1e-6)
    assert np.sqrt(res.scale) == pytest.approx(ref["sigma"], rel=1e-7)
    assert np.sqrt(float(res.cov_re.iloc[0, 0])) == pytest.approx(ref["sigma_site"], rel=1e-6)


def test_zero_site_variance_raises():
    rng = np.random.default_rng(3)
    site = np.repeat(np.arange(20), 15)
    x = rng.normal(size=site.size)
    e = rng.normal(size=site.size)
    e -= (np.bincount(site, e) / np.bincount(site))[site]  # equal site means: no site variance
    df = pd.DataFrame({"site": site, "x": x, "y": x + e})
    with pytest.raises(EstimationError, match=r"'y ~ x' did not converge.*random intercept is "
                                              r"not needed"):
        fit_mixed("y ~ x", df, site)
