"""Property-based test of :func:`facmech.mediation.mediate` on random, damaged frames (issue 14).

A small cluster trial is drawn, then damaged by a few random operations (NaN, inf, huge and tiny
values, text in a number column, constant columns, other dtypes, duplicated columns, very few
rows or sites, treatment varying within sites, rescaling) and analysed with random options
(families, interaction, covariates, clustering, inference kind, ``missing``). Whatever happens:

* the call returns a result or raises a :class:`~facmech.errors.FacmechError`, nothing else;
* nothing is printed on the C level (LAPACK's ``** On entry to ...`` messages);
* the caller's frame is unchanged (values, dtypes, columns, index);
* a result never holds NaN silently: every reported effect has a finite estimate, and a missing
  standard error or interval is named in the result's warnings.

Sizes: see :mod:`fuzz` (``FACMECH_FUZZ`` for long local runs).
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from corpus import _capture_fds
from fuzz import fuzz_settings

from facmech.errors import FacmechError
from facmech.mediation import Bootstrap, MonteCarlo, mediate

_BAD = [np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-308, 5e-324, 0.0, 1e12, "high", "", "1.5", True,
        None, pd.NA, pd.Timestamp("2020-01-01")]
_DTYPES = ["int64", "float32", "bool", "object", "category", "string", "complex", "datetime",
           "Int64", "uint8"]
_COLUMNS = ["site", "x", "c", "d", "m", "m2", "y", "yb"]


@st.composite
def trial(draw) -> pd.DataFrame:
    sites = draw(st.sampled_from([3, 4, 5, 6, 8, 10]))
    per = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    site = np.repeat(np.arange(sites), per)
    x = (site % 2).astype(int)
    u = rng.normal(size=sites)[site] * 0.3
    c = rng.normal(size=site.size)
    d = rng.choice(["a", "b", "c"], size=site.size)
    m = 0.5 * x + 0.3 * c + u + rng.normal(size=site.size)
    m2 = 0.4 * m + rng.normal(size=site.size)
    y = 0.4 * m + 0.2 * x + 0.2 * c + u + rng.normal(size=site.size)
    yb = (y > np.median(y)).astype(int)
    return pd.DataFrame({"site": site, "x": x, "c": c, "d": d, "m": m, "m2": m2, "y": y, "yb": yb})


def _damage(f: pd.DataFrame, data) -> pd.DataFrame:
    for _ in range(data.draw(st.integers(0, 3), label="damages")):
        op = data.draw(st.sampled_from(["cell", "cell", "constant", "dtype", "duplicate",
                                        "rows", "within", "scale", "column"]), label="op")
        col = data.draw(st.sampled_from(_COLUMNS), label="column")
        if len(f) == 0:
            break
        if not isinstance(f[col], pd.Series):  # a duplicated column: damage another
            continue
        if op == "cell":
            row = data.draw(st.integers(0, len(f) - 1), label="row")
            value = data.draw(st.sampled_from(_BAD), label="value")
            s = f[col].astype(object)
            s.iloc[row] = value
            f = f.assign(**{col: s.infer_objects()})
        elif op == "constant":
            f = f.assign(**{col: f[col].iloc[0]})
        elif op == "dtype":
            to = data.draw(st.sampled_from(_DTYPES), label="dtype")
            try:
                if to == "complex":
                    s = f[col].astype(complex)
                elif to == "datetime":
                    s = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(len(f)), "D")
                else:
                    s = f[col].astype(to)
            except (TypeError, ValueError, OverflowError):
                continue
            f = f.assign(**{col: s})
        elif op == "duplicate":
            f = pd.concat([f, f[[col]]], axis=1)
        elif op == "rows":
            keep = data.draw(st.integers(0, len(f)), label="keep")
            f = f.iloc[:keep]
        elif op == "within":  # treatment no longer constant within a site
            f = f.assign(x=np.arange(len(f)) % 2)
        elif op == "scale":
            k = data.draw(st.sampled_from([-300, -150, -12, -8, 8, 12, 150, 300]), label="exp")
            if pd.api.types.is_float_dtype(f[col]):
                f = f.assign(**{col: f[col] * 10.0**k})
        else:  # an odd index: strings, duplicates
            f = f.set_index(pd.Index([f"r{i % 3}" for i in range(len(f))]))
    return f


@st.composite
def options(draw) -> dict:
    mediators = draw(st.sampled_from([["m"], ["m", "m2"]]))
    family = draw(st.sampled_from(["gaussian", "gaussian", "logit", "probit"]))
    binary = family != "gaussian"
    opts = dict(
        treatment="x", mediators=mediators,
        outcome=draw(st.sampled_from(["yb"] * 9 + ["y"] if binary else ["y"] * 9 + ["yb"])),
        covariates=draw(st.lists(st.sampled_from(["c", "d"]), unique=True, max_size=2)),
        cluster=draw(st.sampled_from(["site", "site", None])),
        outcome_family=family,
        interaction=draw(st.booleans()),
        missing=draw(st.sampled_from(["raise", "drop"])),
        inference=draw(st.sampled_from([MonteCarlo(draws=30), Bootstrap(draws=20), None])),
        seed=draw(st.integers(0, 100)),
    )
    if opts["cluster"] is None:
        opts["treatment_level"] = "patient"
    return opts


def _snapshot(f: pd.DataFrame):
    return f.copy(deep=True), list(f.dtypes.astype(str)), list(f.columns), f.index.copy()


@fuzz_settings(150)
@given(trial(), options(), st.data())
def test_fuzz_mediate_gives_a_result_or_a_facmech_error(frame, opts, data):
    frame = _damage(frame, data)
    copy, dtypes, columns, index = _snapshot(frame)
    res = None
    with _capture_fds() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = mediate(frame, **opts)
        except FacmechError as exc:
            assert str(exc).strip()
            event(f"refused: {type(exc).__name__}: {str(exc)[:40]}")
    printed = out["out"] + out["err"]
    assert "** On entry to" not in printed and "Traceback" not in printed, printed
    pd.testing.assert_frame_equal(frame, copy)
    assert list(frame.dtypes.astype(str)) == dtypes and list(frame.columns) == columns
    assert frame.index.equals(index)
    if res is None:
        return
    event("result")
    notes = " ".join(res.warnings)
    for name, est in res.effects.items():
        assert math.isfinite(est.estimate), f"{name}: estimate {est.estimate}"
        spread = (est.std_error, est.ci_low, est.ci_high)
        if opts["inference"] is not None and not all(v is not None and math.isfinite(v)
                                                     for v in spread):
            assert name in notes or "proportion mediated" in notes, \
                f"{name}: standard error or interval {spread} is not finite, and no warning says so"
