"""Execute the notebooks top to bottom at CI sizes (FACMECH_QUICK=1) and check their key numbers.

Each notebook asserts its own story in its last cell and prints ``KEY_NUMBERS {json}``; the references
checked here are external: the R ``mediation`` vignette plug-in values for ``framing`` (Tingley et al.
2014; validation-references.md), swCRTdesign ``swPwr`` and PowerUpR ``power.cra2``/``power.med221``
manual examples, the map's published structure (Kilbourne et al. 2023: 15 numbered arrows), and the
DoWhy hand-over's estimates against statsmodels regressions and the simulations' true effects; R
``lme4`` + ``mediation`` 4.5.1 on ``tests/mediation/results/multisite.csv``
(``multisite_lme4_mediation.R``).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MEDIATION_RESULTS = Path(__file__).resolve().parents[1] / "mediation" / "results"


def _run(name: str, monkeypatch) -> dict:
    monkeypatch.setenv("FACMECH_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline figures
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            if out.get("name") == "stdout" and text.startswith("KEY_NUMBERS "):
                return {**json.loads(text.split(" ", 1)[1]), "_figures": figures}
    raise AssertionError(f"{name} printed no KEY_NUMBERS line")


def test_01_map_and_identification(monkeypatch):
    k = _run("01_map_and_identification", monkeypatch)
    assert k["nodes"] == 19 and k["numbered_arrows"] == 15 and k["lagged_edges"] == 3
    assert k["total_identified"] is True and k["hypothesized_identified"] is False
    assert k["witness"] == "leadership_engagement"
    assert k["measure"] == ["socialization", "peer_experience"]
    assert k["paths"] == 13 and k["paths_identified"] >= 1
    assert k["frontdoor_strategy"] == "frontdoor"  # Pearl (1995)
    assert k["_figures"] >= 2


def test_02_mediation_on_trial_data(monkeypatch):
    k = _run("02_mediation_on_trial_data", monkeypatch)
    # R mediation vignette (framing), deterministic plug-in ACME (average) and total effect
    assert k["framing_nie"] == pytest.approx(0.084633, abs=1e-5)
    assert k["framing_total"] == pytest.approx(0.096711, abs=1e-5)
    assert k["total_covers"] and k["nie_covers"]
    # natural effects through champions alone are not identified (leadership_engagement recants)
    assert k["champions_alone_identified"] is False
    assert abs(k["via_sum_minus_nie"]) < 1e-9
    assert k["_figures"] >= 2


def test_03_time_varying_confounding(monkeypatch):
    k = _run("03_time_varying_confounding", monkeypatch)
    assert k["g_low"] <= k["truth"] <= k["g_high"]
    assert k["ice"] == pytest.approx(k["gformula"], abs=1e-6)
    assert k["naive_adjusted_high"] < k["truth"]
    assert k["_figures"] >= 1


def test_04_design_study(monkeypatch):
    k = _run("04_design_study", monkeypatch)
    assert k["swpwr"] == pytest.approx(0.786, abs=5e-4)        # swCRTdesign swPwr example
    assert k["cra2"] == pytest.approx(0.80, abs=5e-3)          # PowerUpR power.cra2
    assert k["med221_joint"] == pytest.approx(0.8101, abs=5e-5)  # PowerUpR power.med221
    assert k["max_gap_in_mc_se"] < 3.5
    assert k["backends_identical"] is True
    assert k["_figures"] >= 1


def test_06_dowhy_handover(monkeypatch):
    import statsmodels.formula.api as smf

    k = _run("06_dowhy_handover", monkeypatch)
    # DoWhy's back-door estimate on facmech's estimand = facmech's total effect = the OLS
    # coefficient of the adjustment regression on the notebook's data (seed 11, n = 3000)
    rng = np.random.default_rng(11)
    n = 3000
    c = rng.normal(size=n)
    x = (0.8 * c + rng.normal(size=n) > 0).astype(float)
    m = 0.6 * x + 0.4 * c + rng.normal(size=n)
    y = 0.3 * x + 0.5 * m + 0.7 * c + rng.normal(size=n)
    ols = smf.ols("y ~ x + c", data=pd.DataFrame({"c": c, "x": x, "y": y})).fit()
    assert k["backdoor_dowhy"] == pytest.approx(ols.params["x"], abs=1e-8)
    assert k["backdoor_facmech"] == pytest.approx(ols.params["x"], abs=1e-8)
    assert abs(k["backdoor_dowhy"] - 0.6) < 4 * ols.bse["x"]  # truth 0.3 + 0.6 * 0.5
    assert k["refutations_passed"] and abs(k["placebo_effect"]) < 4 * ols.bse["x"]
    assert k["frontdoor_dowhy"] == pytest.approx(0.4, abs=0.06)  # truth 0.8 * 0.5
    assert k["total_agrees"] and not k["nie_identified"]
    assert k["nie_witness"] == "leadership_engagement" and k["nie_difference_explained"]
    assert k["mediate_covariates"] == ["c"]


def test_05_statsmodels_models(monkeypatch):
    k = _run("05_statsmodels_models", monkeypatch)
    R = json.loads((MEDIATION_RESULTS / "multisite_lme4_mediation.json").read_text())
    assert abs(k["product_minus_nie"]) < 1e-10  # batched core = statsmodels OLS
    # R lm + mediation (fitted models passed in), lmer + mediation (random intercepts, dose 1 -> 4)
    assert k["fitted_nie_treated"] == pytest.approx(R["lm_interaction"]["plugin"]["nie_treated"],
                                                    abs=1e-10)
    assert k["ri_nie"] == pytest.approx(R["mixed_binary"]["plugin"]["nie"], abs=1e-6)
    assert k["ri_total"] == pytest.approx(R["mixed_binary"]["plugin"]["total"], abs=1e-6)
    assert k["ri_site_sd_trust"] == pytest.approx(R["mixed_binary"]["mediator"]["sigma_site"],
                                                  rel=1e-4)
    assert k["dose_nie"] == pytest.approx(R["mixed_dose"]["plugin"]["nie"], abs=1e-6)
    assert abs(k["tmint_minus_difference"]) < 1e-12
