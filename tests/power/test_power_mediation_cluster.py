"""2-2-1 and 2-1-1 indirect-effect power against the PowerUpR 1.1.0 manual examples."""

import pytest

from facmech.errors import DesignError
from facmech.power import mediation_211_power, mediation_221_power

# PowerUpR manual: power.med221(esa = .6596, esb = .1891, escp = .1, rho2 = .15, r22 = .52,
# r21 = .40, r2m2 = .50, n = 100, J = 40, p = .5)
EX221 = dict(
    a=0.6596, b=0.1891, cprime=0.1, icc=0.15, r2_site_y=0.52, r2_patient_y=0.40, r2_site_m=0.50,
    sites=40, patients=100, p=0.5,
)
# PowerUpR manual: power.med211(esa = .4135, esb1 = .0670, esB = .3595, escp = .1, rhom2 = .3,
# rho2 = .3, r22 = .6, r21 = .6, r2m2 = .6, r2m1 = .6, n = 30, J = 80, p = .1)
EX211 = dict(
    a=0.4135, b_within=0.067, b_between=0.3595, cprime=0.1, icc=0.3, icc_m=0.3, r2_site_y=0.6,
    r2_patient_y=0.6, r2_site_m=0.6, r2_patient_m=0.6, sites=80, patients=30, p=0.1,
)


def test_med221_manual_example():
    r = mediation_221_power(**EX221, mc_sims=0)
    assert r.paths["a"].std_error == pytest.approx(0.197796, abs=5e-7)  # PowerUpR se_a
    assert r.paths["b"].std_error == pytest.approx(0.056798, abs=5e-7)  # PowerUpR se_b
    assert r.paths["a"].power == pytest.approx(0.9005, abs=5e-5)
    assert r.paths["b"].power == pytest.approx(0.8996, abs=5e-5)
    assert r.sobel == pytest.approx(0.6540, abs=5e-5)
    assert r.joint == pytest.approx(0.8101, abs=5e-5)
    assert r.power == r.joint
    assert r.paths["a"].df == r.paths["b"].df == 36  # J - 4
    assert r.monte_carlo is None


def test_med211_manual_example():
    r = mediation_211_power(**EX211, mc_sims=0)
    joint = {k: r.indirect[k].joint for k in ("within", "contextual", "between")}
    assert joint["within"] == pytest.approx(0.8092, abs=5e-5)
    assert joint["contextual"] == pytest.approx(0.6638, abs=5e-5)
    assert joint["between"] == pytest.approx(0.8112, abs=5e-5)
    assert r.primary == "between" and r.power == joint["between"]
    assert [r.paths[k].df for k in ("a", "b1", "B")] == [76, 2397, 75]  # J-4, nJ-3, J-5


def test_monte_carlo_test_between_sobel_and_joint_and_reproducible():
    # The Monte Carlo interval test is less conservative than Sobel and close to joint significance
    # (MacKinnon et al. 2002; Kelcey et al. 2017, Table 2). 2000 sims -> MC SE about 0.009.
    r = mediation_221_power(**EX221, mc_sims=2000, mc_draws=1000, seed=7)
    mc, se = r.monte_carlo, r.indirect["ab"].monte_carlo_se
    assert r.sobel < mc - 3 * se
    assert abs(mc - r.joint) < 4 * se
    again = mediation_221_power(**EX221, mc_sims=2000, mc_draws=1000, seed=7)
    assert again.monte_carlo == mc


def test_to_frame_and_dict():
    r = mediation_211_power(**EX211, mc_sims=0)
    frame = r.to_frame()
    assert list(frame.index) == ["within", "contextual", "between"]
    d = r.to_dict()
    assert d["design"] == "2-1-1" and d["paths"]["B"]["df"] == 75
    assert "2-1-1 mediation power" in r.summary()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"icc": 1.0}, r"`icc` must be in \[0, 1\)"),
        ({"sites": 5}, r"`sites` must be an integer >= 6"),
        ({"p": 1.0}, r"`p` must be in \(0, 1\)"),
        ({"a": 3.0}, r"design not feasible: the variance of path `a`"),
        ({"mc_sims": 5}, r"`mc_sims` must be 0 \(skip\) or at least 10"),
    ],
)
def test_bad_input_221(kwargs, match):
    with pytest.raises(DesignError, match=match):
        mediation_221_power(**{**EX221, **kwargs})


def test_bad_input_211():
    with pytest.raises(DesignError, match=r"`icc_m` must be > 0"):
        mediation_211_power(**{**EX211, "icc_m": 0.0})
