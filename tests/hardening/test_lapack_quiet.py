"""No non-finite value reaches a LAPACK solver (issue 14 point 6: ``** On entry to DLASCL``).

LAPACK's least-squares driver prints ``** On entry to DLASCL parameter number 4 had an illegal
value`` straight to the process's stdout (fd 1, past Python) when it meets NaN or inf, and numpy
then raises ``LinAlgError``. facmech calls ``np.linalg.lstsq`` only on validated data
(``mediation/sensitivity.py``); the SVD/inverse calls elsewhere do not print but raise
``LinAlgError``. So every entry point taking user numbers must refuse NaN and inf first. Each case
below runs with file-descriptor capture: it must raise a FacmechError and print nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from corpus import _capture_fds, trial_frame

from facmech.errors import FacmechError
from facmech.gmethods import gformula, msm
from facmech.identification.implications import test_implications as implication_tests
from facmech.mediation import mediate, rho_sensitivity

pytestmark = pytest.mark.filterwarnings("ignore")


def test_canary_lapack_prints_on_nan():
    # the hazard is real in this environment (OpenBLAS' LAPACK), and the capture sees it
    a = np.ones((5, 3))
    a[0, 0] = np.nan
    with _capture_fds() as out:
        with pytest.raises(np.linalg.LinAlgError):
            np.linalg.lstsq(a, np.ones(5), rcond=None)
    if "DLASCL" not in out["out"] + out["err"]:
        pytest.skip("this LAPACK build does not print on NaN input")


def _g(col, value):
    rng = np.random.default_rng(1)
    n, t = 30, 3
    lv = rng.normal(size=n * t)
    a = (rng.random(n * t) < 0.5).astype(int)
    f = pd.DataFrame({"site": np.repeat(np.arange(n), t), "period": np.tile(np.arange(t), n),
                      "a": a, "l": lv, "y": lv + a + rng.normal(size=n * t)})
    return f.assign(**{col: f[col].where(f.index != 5, value)})


_G = dict(unit="site", time="period", treatment="a", confounders=["l"], outcome="y")
_DAG = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d")])


def _imp(value):
    rng = np.random.default_rng(2)
    d = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    return d.assign(b=d["b"].where(d.index != 3, value), s=np.repeat(np.arange(12), 5))


def _med(col, value, **kw):
    f = trial_frame()
    f = f.assign(**{col: f[col].astype(float).where(f.index != 7, value)})
    args = dict(treatment="x", mediators=["m"], outcome="y", cluster="site", seed=1)
    return lambda: mediate(f, **{**args, **kw})


CASES = {
    **{f"mediate-{col}-{v}": _med(col, v) for col in ("m", "y") for v in (np.inf, -np.inf)},
    "mediate-covariate-inf": _med("c", np.inf, covariates=["c"]),
    "mediate-interaction-inf": _med("m", np.inf, interaction=True),
    "mediate-probit-inf": _med("m", np.inf, outcome_family="probit"),
    "mediate-nan-dropped-to-nothing": _med("m", np.nan, missing="raise"),
    "mediate-formula-log-zero": _med("c", 0.0, outcome_formula="y ~ x + m + np.log(c * 0)"),
    "mediate-formula-inf-term": _med("c", 1.0, mediator_formula="m ~ x + I(1 / (c - c))"),
    "mediate-random-intercept-inf": _med("m", np.inf, random_intercept=True),
    **{f"{name}-{col}-{v}": (lambda fn=fn, col=col, v=v: fn(_g(col, v), **_G))
       for name, fn in (("gformula", gformula), ("msm", msm)) for col in ("l", "y")
       for v in (np.inf, np.nan)},
    "gformula-ice-inf": lambda: gformula(_g("l", np.inf), method="ice", **_G),
    "implications-inf": lambda: implication_tests(_DAG, _imp(np.inf)),
    "implications-clustered-inf": lambda: implication_tests(_DAG, _imp(-np.inf), cluster="s"),
    "implications-nan": lambda: implication_tests(_DAG, _imp(np.nan)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_non_finite_input_is_refused_before_any_solver(case):
    with _capture_fds() as out:
        with pytest.raises(FacmechError) as info:
            CASES[case]()
    printed = out["out"] + out["err"]
    assert "** On entry to" not in printed and printed.strip() == "", printed
    assert any(w in str(info.value) for w in ("inf", "missing", "finite")), str(info.value)


def test_sensitivity_least_squares_run_on_validated_data_only():
    # rho_sensitivity is the one np.linalg.lstsq caller: it reads the result's validated arrays
    res = mediate(trial_frame(), treatment="x", mediators=["m"], outcome="y", cluster="site",
                  seed=1)
    assert np.isfinite(res.data.outcome).all() and np.isfinite(res.data.mediators).all()
    with _capture_fds() as out:
        sens = rho_sensitivity(res)
    assert out["out"] + out["err"] == ""
    assert np.isfinite(sens.nie).all()
