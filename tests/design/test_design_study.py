"""design_study: identical numbers on every backend, checkpoint/resume, results, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from facmech.design import (
    BLOCK,
    Dask,
    LinearTrial,
    Mediator,
    Processes,
    Serial,
    StudyResult,
    design_study,
)
from facmech.design.backends import Backend
from facmech.errors import DesignError, FacmechError

TRIAL = LinearTrial(
    design="stepped-wedge", sites=8, steps=2, patients=5, icc=0.1, effect=0.2,
    mediators=(Mediator("leadership_engagement", a=0.5, b=0.3), Mediator("trust", a=0.3, b=0.2)),
)
GRID = {"sites": [6, 8], "confounding": [0.0, 0.5]}
REPS = BLOCK + 20  # two blocks per cell


@pytest.fixture(scope="module")
def serial():
    return design_study(TRIAL, grid=GRID, reps=REPS, seed=5, backend="serial", progress=False)


def test_table_shape_and_truth(serial):
    frame = serial.to_frame()
    assert len(frame) == 4 * 5  # 4 cells x (total, direct, 2 indirect, joint indirect)
    assert list(frame.columns[:3]) == ["sites", "confounding", "estimand"]
    tot = frame[frame["estimand"] == "total"]["truth"].unique()
    assert tot == pytest.approx([0.2 + 0.5 * 0.3 + 0.3 * 0.2])
    joint = frame[frame["estimand"] == "indirect"]["truth"].unique()
    assert joint == pytest.approx([0.5 * 0.3 + 0.3 * 0.2])  # sum of a_k b_k of the model
    assert (frame["reps"] == REPS).all()
    assert frame[[c for c in frame.columns if c.endswith("_mc_se")]].notna().all().all()


def test_joint_indirect_is_sum_of_products():
    # joint indirect = sum_k a_k b_k (estimate) with its interval from the summed Monte Carlo
    # draws of the products; the per-mediator columns come from the same draws
    from facmech.design.analysis import Analysis, analyze_batch

    rngs = [np.random.default_rng(s) for s in range(3)]
    x, y, m = (np.stack(a) for a in zip(*(TRIAL.draw(g) for g in rngs), strict=True))
    out = analyze_batch(TRIAL, Analysis(parts=("mediation",)), x, y, m,
                        [np.random.default_rng(s) for s in range(3)])
    np.testing.assert_allclose(
        out["indirect"]["estimate"],
        out["indirect:leadership_engagement"]["estimate"] + out["indirect:trust"]["estimate"],
        rtol=1e-12)
    assert (out["indirect"]["ci_low"] < out["indirect"]["estimate"]).all()
    assert (out["indirect"]["estimate"] < out["indirect"]["ci_high"]).all()


def test_processes_give_identical_numbers(serial):
    other = design_study(TRIAL, grid=GRID, reps=REPS, seed=5, backend=Processes(workers=2),
                         progress=False)
    pd.testing.assert_frame_equal(serial.to_frame(), other.to_frame(), check_exact=True)


def test_dask_gives_identical_numbers(serial):
    pytest.importorskip("dask.distributed")
    other = design_study(TRIAL, grid=GRID, reps=REPS, seed=5,
                         backend=Dask(workers=2, processes=False), progress=False)
    pd.testing.assert_frame_equal(serial.to_frame(), other.to_frame(), check_exact=True)


def test_unreachable_scheduler_fails_fast():
    pytest.importorskip("dask.distributed")
    with pytest.raises(FacmechError, match=r"cannot reach the Dask scheduler at `tcp://127.0.0.1:9`"):
        design_study(TRIAL, reps=10, seed=1, backend=Dask(address="tcp://127.0.0.1:9", timeout=1),
                     progress=False)


class _Interrupted(Exception):
    pass


class _StopAfter(Backend):
    """Runs serially and is 'interrupted' after ``n`` tasks."""

    def __init__(self, n):
        self.n = n

    def run(self, func, tasks, on_done):
        for i, task in enumerate(tasks):
            if i == self.n:
                raise _Interrupted
            on_done(i, func(task))


def test_checkpoint_resume_gives_same_numbers(serial, tmp_path):
    path = tmp_path / "study.jsonl"
    with pytest.raises(_Interrupted):
        design_study(TRIAL, grid=GRID, reps=REPS, seed=5, backend=_StopAfter(3), checkpoint=path,
                     progress=False)
    assert len(path.read_text().splitlines()) == 1 + 3
    with path.open("a") as fh:
        fh.write('{"task": 3, "result": {"tot')  # a line cut short by the interruption
    resumed = design_study(TRIAL, grid=GRID, reps=REPS, seed=5, backend=Serial(),
                           checkpoint=path, progress=False)
    pd.testing.assert_frame_equal(serial.to_frame(), resumed.to_frame(), check_exact=True)
    assert len(path.read_text().splitlines()) == 1 + 8
    with pytest.raises(DesignError, match="belongs to a different study"):
        design_study(TRIAL, grid=GRID, reps=REPS, seed=6, checkpoint=path, progress=False)


def test_seed_reproducible_and_recorded():
    a = design_study(TRIAL, analysis="total", reps=10, seed=None, progress=False)
    b = design_study(TRIAL, analysis="total", reps=10, seed=a.seed, progress=False)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    g = design_study(TRIAL, analysis="total", reps=10, seed=np.random.default_rng(3),
                     progress=False)
    assert isinstance(g.seed, int)


def test_confounding_and_measurement_error_bias_the_indirect_effect():
    # Structural checks with known sign: an unmeasured common cause of mediator and outcome biases
    # b upward (both enter with +gamma); classical error in the mediator attenuates b.
    trial = LinearTrial(design="parallel", sites=30, patients=20, icc=0.05, effect=0.0,
                        mediators=(Mediator("trust", a=0.5, b=0.4),))
    res = design_study(trial, grid={"confounding": [0.0, 0.8], "measurement_error": [0.0, 1.0]},
                       analysis="mediation", reps=300, seed=9, progress=False).to_frame()
    ind = res[res["estimand"] == "indirect:trust"].set_index(["confounding", "measurement_error"])
    assert abs(ind.loc[(0.0, 0.0), "bias"]) < 3 * ind.loc[(0.0, 0.0), "bias_mc_se"]
    assert ind.loc[(0.8, 0.0), "bias"] > 5 * ind.loc[(0.8, 0.0), "bias_mc_se"]
    assert ind.loc[(0.0, 1.0), "bias"] < -5 * ind.loc[(0.0, 1.0), "bias_mc_se"]


def test_to_dict_is_json_with_issue_shape(serial):
    d = json.loads(json.dumps(serial.to_dict(), allow_nan=False))
    assert d["reps"] == REPS and d["seed"] == 5
    cell = d["cells"][0]
    assert {"sites", "confounding", "estimand", "power", "bias", "rmse", "coverage",
            "mc_se"} <= set(cell)
    assert set(cell["mc_se"]) == {"power", "bias", "rmse", "coverage", "width"}


def test_plot_and_summary(serial, tmp_path):
    fig = serial.plot(x="sites", path=tmp_path / "power.png")
    assert (tmp_path / "power.png").stat().st_size > 0
    assert len(fig.axes[0].get_lines()) >= 1
    assert "design study" in serial.summary()
    assert "<table" in serial._repr_html_()
    with pytest.raises(DesignError, match="`x` must be a grid parameter"):
        serial.plot(x="icc")


def test_designs_shorthand():
    trial = LinearTrial(sites=8, steps=2, patients=5, effect=0.3)
    res = design_study(trial, designs=["parallel", "stepped-wedge"], reps=10, seed=1,
                       progress=False)
    assert res.to_frame()["design"].tolist() == ["parallel", "stepped-wedge"]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"reps": 5}, DesignError, r"`reps` must be an integer >= 10 \(got 5\)"),
        ({"grid": {}}, DesignError, r"`grid` is empty"),
        ({"grid": {"clusters": [10]}}, DesignError,
         r"unknown grid parameter `clusters`; valid parameters: design, sites, steps"),
        ({"grid": {"sites": []}}, DesignError, r"grid parameter `sites` has no values"),
        ({"grid": {"icc": [0.05, 1.0]}}, DesignError, r"`icc` must be in \[0, 1\) \(got 1\)"),
        ({"grid": {"icc": [-0.1]}}, DesignError, r"`icc` must be in \[0, 1\)"),
        ({"backend": "gpu"}, DesignError, r"`backend` must be one of"),
        ({"analysis": "ipw"}, DesignError, r"`analysis` must be one of 'total', 'mediation'"),
        ({"analysis": "gformula"}, DesignError, r"the `gformula` analysis needs a map scenario"),
        ({"analysis": "regimes"}, DesignError, r"the `regimes` analysis compares the embedded"),
        ({"designs": ["smart"]}, DesignError, r"`design` must be one of .*SMART"),
        ({"seed": -1}, DesignError, r"`seed`"),
    ],
)
def test_bad_input(kwargs, exc, match):
    base = {"reps": 10, "seed": 1, "progress": False}
    with pytest.raises(exc, match=match):
        design_study(TRIAL, **{**base, **kwargs})


def test_scenario_type_checked():
    with pytest.raises(DesignError, match=r"`scenario` must be a facmech\.design\.LinearTrial"):
        design_study(42, reps=10, progress=False)


def test_result_is_a_copy(serial):
    frame = serial.to_frame()
    frame.loc[0, "power"] = -1
    assert serial.to_frame().loc[0, "power"] != -1
    assert isinstance(serial, StudyResult)
