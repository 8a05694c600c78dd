"""Parallel cluster-trial power against published values (Killip et al. 2004; PowerUpR)."""

import pytest

from facmech.errors import DesignError
from facmech.power import Reference, crt_mdes, crt_power, design_effect

# Killip, Mahfoud & Pearce (2004), Ann Fam Med 2:204-208, worked example: ICC 0.017, 4 clusters
# (2 per arm), standardized effect 0.5. Table: design effects and powers for m = 10, 20, 40, 80.
KILLIP = [(10, 1.153, 0.29), (20, 1.323, 0.47), (40, 1.663, 0.67), (80, 2.343, 0.82)]


@pytest.mark.parametrize(("m", "de", "power"), KILLIP)
def test_killip_design_effects_and_power(m, de, power):
    assert design_effect(m, 0.017) == pytest.approx(de, abs=5e-4)
    r = crt_power(sites=4, patients=m, effect=0.5, icc=0.017, reference="effective")
    assert r.design_effect == pytest.approx(de, abs=5e-4)
    # Killip et al. truncate the effective sample size per arm before a t-test: a few points.
    assert r.power == pytest.approx(power, abs=0.015)


def test_powerupr_cra2_mdes_and_power():
    # PowerUpR ?cra2: mdes.cra2(rho2 = .17, n = 15, J = 20) = 0.629 and
    # power.cra2(es = .629, rho2 = .17, n = 15, J = 20) = 0.80 (printed to 3 decimals).
    assert crt_mdes(sites=20, patients=15, icc=0.17) == pytest.approx(0.629, abs=5e-4)
    r = crt_power(sites=20, patients=15, effect=0.629, icc=0.17)
    assert r.power == pytest.approx(0.80, abs=5e-3)
    assert r.df == 18
    # Standardized SE of PowerUpR's cra2r2: sqrt(rho2/(pq J) + (1-rho2)/(pq J n)) with p = .5.
    assert r.std_error == pytest.approx((0.17 / 5 + 0.83 / 75) ** 0.5, rel=1e-12)


def test_sd_scales_effect_and_normal_reference_is_larger():
    a = crt_power(sites=20, patients=15, effect=0.5, icc=0.1)
    b = crt_power(sites=20, patients=15, effect=1.0, icc=0.1, sd=2.0)
    assert a.power == pytest.approx(b.power, rel=1e-12)
    z = crt_power(sites=20, patients=15, effect=0.5, icc=0.1, reference=Reference.NORMAL)
    assert z.df is None and z.power > a.power


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"icc": 1.0}, r"`icc` must be in \[0, 1\) \(got 1\)"),
        ({"icc": -0.1}, r"`icc`"),
        ({"sites": 5}, r"`sites` must be even"),
        ({"sites": 2}, r"`sites` must be an integer >= 4"),
        ({"patients": 0}, r"`patients`"),
        ({"alpha": 1.5}, r"`alpha`"),
        ({"reference": "exact"}, r"`reference` must be one of 'between', 'effective', 'normal'"),
    ],
)
def test_bad_input(kwargs, match):
    base = {"sites": 20, "patients": 15, "effect": 0.3, "icc": 0.1}
    with pytest.raises(DesignError, match=match):
        crt_power(**{**base, **kwargs})


def test_result_record():
    r = crt_power(sites=20, patients=15, effect=0.629, icc=0.17)
    d = r.to_dict()
    assert set(d) >= {"power", "std_error", "ncp", "df", "design_effect"}
    assert "power 0.8" in r.summary()
    assert r.to_frame().shape == (1, len(d))
