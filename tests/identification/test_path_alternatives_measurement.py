"""Alternatives offered for a non-identified path say what they need measured.

On the built-in map (facilitation-map.md), socialization and peer_experience are unmeasured. The
summary pathway through them has the recanting witness leadership_engagement (Avin, Shpitser & Pearl
2005). What the engine offers instead (the bundle through the witness, the interventional analogue,
the linear-SEM product) holds only once the hidden nodes are measured: a regression of coherence on
socialization is impossible while socialization is unmeasured.
"""

from __future__ import annotations

from facmech import identify, load_map

PATH = ["facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake"]


def test_alternatives_name_the_nodes_to_measure():
    m = load_map()
    res = identify(m, "facilitation", "uptake", effect="path", path=PATH)
    assert not res.identifiable and res.witness == "leadership_engagement"
    assert res.alternatives
    for alt in res.alternatives:
        assert alt.requires_measuring == ("socialization", "peer_experience"), alt.name
        if alt.identifiable:
            assert alt.status == "identified once socialization, peer_experience are measured"
    extended = res.to_dict(extended=True)["alternatives"]
    assert extended[0]["requires_measuring"] == ["socialization", "peer_experience"]


def test_once_measured_nothing_more_is_required():
    m = load_map().with_observed(["socialization", "peer_experience"])
    res = identify(m, "facilitation", "uptake", effect="path", path=PATH)
    assert not res.identifiable and res.witness == "leadership_engagement"
    linear = [a for a in res.alternatives if a.name.startswith("linear structural model")]
    assert linear and linear[0].identifiable and linear[0].requires_measuring == ()
    assert linear[0].status == "identified"
