"""Values `mediate` cannot use are refused by mediation/data.py, naming column, values and rows
(issue 14 points 6 and 8); units do not change any number (scale equivariance of the fits, the
covariance estimators and the Monte Carlo draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech._linalg import psd_factor
from facmech.errors import DataError
from facmech.mediation import Bootstrap, MonteCarlo, mediate
from facmech.mediation.data import REGRESSOR_SCALE
from facmech.mediation.inference import Classical, Clustered, Robust

pytestmark = pytest.mark.filterwarnings("ignore")


def trial(n_sites: int = 12, per: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = np.repeat(np.arange(n_sites), per)
    x = (site % 2).astype(int)
    u = rng.normal(size=n_sites)[site] * 0.3
    c = rng.normal(size=site.size)
    m = 0.5 * x + 0.3 * c + u + rng.normal(size=site.size)
    y = 0.4 * m + 0.2 * x + 0.2 * c + u + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "x": x, "c": c, "m": m, "y": y})


def _fit(frame, **kw):
    args = dict(treatment="x", mediators=["m"], outcome="y", cluster="site", covariates=["c"],
                seed=3)
    args.update(kw)
    return mediate(frame, **args).to_frame()[["estimate", "std_error", "ci_low", "ci_high"]]


# ---- units change nothing --------------------------------------------------------------------

INFERENCES = {
    "classical": MonteCarlo(draws=400, covariance=Classical()),
    "hc3": MonteCarlo(draws=400, covariance=Robust("HC3")),
    "cr0": MonteCarlo(draws=400, covariance=Clustered(small_sample="none")),
    "cr2": MonteCarlo(draws=400),
    "bootstrap": Bootstrap(draws=100),
}


@pytest.mark.parametrize("inference", INFERENCES, ids=list(INFERENCES))
@pytest.mark.parametrize("column", ["m", "c"])
@pytest.mark.parametrize("scale", [1e-8, 1e-4, 1e4, 1e8])
def test_rescaling_a_regressor_changes_no_number(inference, column, scale):
    # Same seed, same draws: the effects are on the outcome's scale and must not move at all
    # (before psd_factor, CR2 SEs moved 2-5% at 1e8 and the nie SE 7% at 1e-4).
    f = trial()
    base = _fit(f, inference=INFERENCES[inference])
    got = _fit(f.assign(**{column: f[column] * scale}), inference=INFERENCES[inference])
    np.testing.assert_allclose(got.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-100, 1e-6, 1e6, 1e100])
def test_rescaling_the_outcome_rescales_the_effects(scale):
    f = trial()
    base = _fit(f).drop(index="prop_mediated")
    got = _fit(f.assign(y=f["y"] * scale)).drop(index="prop_mediated")
    np.testing.assert_allclose(got.to_numpy() / scale, base.to_numpy(), rtol=1e-9)


def test_psd_factor_is_a_factor_and_equivariant():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 5, 5))
    V = A @ A.transpose(0, 2, 1)
    L = psd_factor(V)
    np.testing.assert_allclose(L @ L.transpose(0, 2, 1), V, rtol=1e-12, atol=1e-12)
    D = np.diag([1e-8, 1.0, 1e4, 1e8, 1.0])
    np.testing.assert_allclose(psd_factor(D @ V @ D), D @ L, rtol=1e-9, atol=0)
    # a zero-variance coordinate gives a zero row, not NaN
    V0 = V[0].copy()
    V0[2, :] = V0[:, 2] = 0.0
    L0 = psd_factor(V0)
    assert np.isfinite(L0).all() and not L0[2].any()


# ---- values the models cannot use -------------------------------------------------------------

def _edit(column, row, value):
    def edit(f):
        return f.assign(**{column: f[column].astype(object).where(f.index != row, value)
                           if isinstance(value, str) else f[column].where(f.index != row, value)})
    return edit


@pytest.mark.parametrize(("edit", "match"), [
    (_edit("m", 7, np.inf), r"mediator column `m` has an infinite value in 1 row \(index 7: inf\)"),
    (_edit("y", 3, -np.inf), r"outcome column `y` has an infinite value in 1 row \(index 3: -inf\)"),
    (_edit("c", 11, np.inf), r"covariate column `c` has an infinite value .*index 11"),
    (lambda f: f.assign(c=f["c"].where(~f.index.isin([2, 5, 9, 30]), np.inf)),
     r"`c` has infinite values in 4 rows \(index 2, 5, 9 and 1 more: inf, inf, inf, \.\.\.\)"),
    (_edit("c", 4, "high"), r"covariate column `c` holds numbers and text: 1 of 240 values are "
                            r"not numbers \(index 4: 'high'\); as text the column would become 239"),
    (_edit("y", 4, "high"), r"outcome column `y` must be numeric .*index 4: 'high'"),
    (lambda f: f.assign(m=f["m"].astype(str)), r"mediator column `m` holds numbers as text"),
    (lambda f: f.assign(c=pd.Timestamp("2020-01-01") + pd.to_timedelta(f.index, "D")),
     r"covariate column `c` holds dates or durations"),
    (lambda f: f.assign(m=f["m"] + 1j), r"mediator column `m` holds complex numbers"),
    (lambda f: f.assign(m=f["m"] * 1e-300), r"mediator column `m` varies only on a scale of 1.*e-300"),
    (lambda f: f.assign(m=f["m"] * 1e300), r"mediator column `m` has values as large as 4.32e\+300 "
                                           r"\(index 226: "),
    (lambda f: f.assign(c=1e9 + f["c"] / 100), r"covariate column `c` varies only on a scale of "
                                               r"0.0\d+ \(standard deviation\) around values as "
                                               r"large as 1e\+09"),
    (lambda f: f.assign(y=f["y"] * 1e-300), r"outcome column `y` varies only on a scale of 1.*e-300"),
    (lambda f: f.assign(c=2.0), r"covariate column `c` is constant \(value 2\): it duplicates the "
                                "models' intercept"),
    (lambda f: pd.concat([f, f[["m"]]], axis=1), r"`data` has 2 columns named `m`"),
    (lambda f: f.assign(c=[f"p{i}" for i in range(len(f))]),
     r"240 complete rows, too few for the outcome model's 242 parameters .*covariate `c` is "
     r"categorical with 240 categories"),
])
def test_refused_with_column_values_and_rows(edit, match):
    f = edit(trial())
    before = f.copy()
    with pytest.raises(DataError, match=match):
        _fit(f)
    pd.testing.assert_frame_equal(f, before)  # the caller's frame is untouched


def test_interaction_with_inf_mediator_is_a_data_error_not_linalg():
    # was numpy's LinAlgError "SVD did not converge" (issue 14 point 6, found 266 times by fuzzing)
    f = trial().assign(m=lambda d: d["m"].where(d.index != 7, np.inf))
    with pytest.raises(DataError, match="mediator column `m` has an infinite value"):
        _fit(f, interaction=True)


def test_too_few_rows_named():
    f = trial().iloc[[0, 1, 20]].assign(x=[0, 0, 1])
    with pytest.raises(DataError, match=r"3 complete rows, too few for the outcome model's 4 "
                                        r"parameters .* at least 5 rows"):
        _fit(f, cluster=None)


def test_scales_inside_the_limit_are_accepted():
    f = trial()
    big = REGRESSOR_SCALE / 10
    res = _fit(f.assign(c=f["c"] * big / f["c"].abs().max()))
    assert np.isfinite(res.to_numpy()).all()
