"""Regression test: every packaged scenario's default mediator set is identified on its own map.

The vignettes used to default to ``mediators: [champions]`` (and ``[capacity]``, ``[trust]``), whose
natural effects the identification engine declares NOT identified on the facilitation map:
leadership_engagement is a recanting witness (Avin, Shpitser & Pearl 2005, IJCAI: the natural
indirect effect through a set is identified iff no node moved by the treatment reaches the outcome
both through and around the set). The simulator's truth (``nde``/``nie``) and the design studies'
mediation estimands are for the scenario's default set, so that set must be identified.
"""

import pytest

from facmech import identify
from facmech.simulation import builtin_scenarios, load_scenario


def test_all_four_vignettes_are_checked():
    assert set(builtin_scenarios()) >= {"aim", "evidencenow", "vha", "zambia"}


@pytest.mark.parametrize("name", builtin_scenarios())
@pytest.mark.parametrize("effect", ["nie", "nde"])
def test_default_mediators_identified(name, effect):
    sc = load_scenario(name)
    ident = identify(sc.map, sc.strategy, sc.outcome, effect=effect, mediators=list(sc.mediators))
    assert ident.identifiable, f"{name}: {ident.reason}"


@pytest.mark.parametrize("name", builtin_scenarios())
def test_default_mediators_are_the_identified_pair(name):
    # Kilbourne et al. 2023 map: facilitation -> leadership_engagement -> champions (arrow 8);
    # the ordered pair is the identified set containing champions (docs: scenario README).
    assert load_scenario(name).mediators == ("leadership_engagement", "champions")


@pytest.mark.parametrize("old", [["champions"], ["capacity"], ["trust"]])
def test_old_defaults_not_identified(old):
    sc = load_scenario("zambia")
    ident = identify(sc.map, sc.strategy, sc.outcome, effect="nie", mediators=old)
    assert not ident.identifiable
    assert ident.witness == "leadership_engagement"
