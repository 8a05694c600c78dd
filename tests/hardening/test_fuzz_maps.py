"""Property-based tests of the map readers and writers (issue 14, "How to test it").

* Any text, in any of the four formats (YAML, dagitty, DOT, GML), gives a map or a
  :class:`~facmech.errors.FacmechError`: never another exception (RecursionError, KeyError,
  TypeError, a yaml or networkx error...). Inputs are arbitrary text, token soups of each format's
  vocabulary, structured YAML documents with values of every type, and mutations of valid maps.
* Every valid map written in a format and read back is the same map, in everything the format
  carries (YAML: everything; dagitty, DOT, GML: what their module docstrings list).

Sizes: see :mod:`fuzz` (``FACMECH_FUZZ`` for long local runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from fuzz import fuzz_settings

from facmech.errors import FacmechError
from facmech.formats import dump_yaml, load_map, read_map_text, to_dagitty, to_dot, to_gml
from facmech.maps import Edge, MechanismMap, Node
from facmech.maps.elements import EDGE_KEYS, NODE_KEYS, Evidence
from facmech.maps.vocabulary import Confidence, ConfidenceLevel, Level, Provenance, Role

WRITERS = {"yaml": dump_yaml, "dagitty": to_dagitty, "dot": to_dot, "gml": to_gml}


def _reads_or_refuses(text: str) -> None:
    try:
        m = read_map_text(text, source="fuzz.txt")
    except FacmechError as exc:
        assert str(exc).strip(), "an error without a message"
        return
    assert isinstance(m, MechanismMap)


# ---- inputs -------------------------------------------------------------------------------------

_WORDS = ["a", "b", "X", "Y_1", "node", "edge", "graph", "subgraph", "digraph", "dag", "strict",
          "latent", "exposure", "outcome", "adjusted", "selected", "u", "l", "id", "label",
          "source", "target", "directed", "observed", "periods", "period", "base", "title",
          "lag", "arrow", "role", "level", "time_varying", "stage", "provenance", "confidence",
          "name", "true", "false", "yes", "no", "null", "strategy", "mechanism", "bogus"]
_SYMBOLS = ["->", "<-", "<->", "--", "@", "[", "]", "{", "}", "(", ")", "=", ",", ";", ":", "\n",
            "\n", " ", '"', "'", "\\", "#", "//", "/*", "*/", "-", "*", "&", "!", "|", ">", "<"]
_VALUES = ["0", "1", "2", "-1", "1.5", "1e309", "nan", "²", "⁰", "١", '"a b"', '"q\\"t"', '"é"',
           '""', '"\\n"', "L", "M-H", "H", "1,2", "lag=1", "lag=2", "arrow=1", "arrow=x",
           "role=strategy", "role=bogus", "time_varying=0", "time_varying=1", "periods=0",
           "periods=3", "base=a", "period=0", "period=x", "confidence=L", 'pos="0,1"',
           "observed=false", '"yes"', '"no"']
TOKENS = st.sampled_from(_WORDS + _SYMBOLS + _VALUES) | st.text(max_size=4)
HEADS = st.sampled_from(["dag {", "pdag {", "dag G {", "digraph {", "strict digraph G {",
                         "digraph { subgraph {", "graph [", "graph [ directed 1", "nodes:",
                         "nodes:\n  - ", "edges:", "{", "[", "# c\ndag {", "// c\ndigraph {", ""])


@st.composite
def token_soup(draw) -> str:
    head = draw(HEADS)
    body = draw(st.lists(TOKENS, max_size=40))
    sep = draw(st.sampled_from([" ", "\n", ""]))
    tail = draw(st.sampled_from(["}", "]", "", "}\n", "]\n"]))
    return head + sep + sep.join(body) + sep + tail


_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
            | st.sampled_from(_WORDS + _VALUES))
_VALUE = st.recursive(_SCALARS, lambda c: st.lists(c, max_size=4)
                      | st.dictionaries(st.text(max_size=6) | st.integers(), c, max_size=4),
                      max_leaves=12)


@st.composite
def yaml_document(draw) -> str:
    def record(keys):
        return st.dictionaries(st.sampled_from(keys) | st.text(max_size=5),
                               _VALUE | st.sampled_from(_WORDS), max_size=len(keys))

    doc = draw(st.fixed_dictionaries({}, optional={
        "nodes": st.lists(record(NODE_KEYS), max_size=5) | _VALUE,
        "edges": st.lists(record(EDGE_KEYS), max_size=5) | _VALUE,
        "title": _VALUE, "periods": _VALUE, "treatment": _VALUE, "outcome": _VALUE,
        "adjustment": _VALUE, "citation": _VALUE, "doi": _VALUE,
    }) | _VALUE)
    # node/edge ids drawn from a few names so that edges often join real nodes
    return yaml.safe_dump(doc, allow_unicode=draw(st.booleans()))


def _mutate(text: str, data) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 20)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if op == "insert":
            text = text[:i] + data.draw(TOKENS) + text[i:]
        elif op == "delete":
            text = text[:i] + text[j:]
        elif op == "replace":
            text = text[:i] + data.draw(TOKENS) + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


# ---- valid maps -----------------------------------------------------------------------------------

_TRICKY_IDS = ["node", "edge", "graph", "subgraph", "strict", "dag", "a b", 'q"t', "back\\slash",
               "->", "[x]", "{y}", "#h", "//c", "é", "数", "1", "-1", "2.5", "true", "null",
               "yes", "~", "*a", "&a", "a: b", "- a", "'s'", "a;b", "a,b", "a=b", "X", "x"]
IDS = (st.sampled_from(_TRICKY_IDS)
       | st.text(st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
                 min_size=1, max_size=8).filter(lambda s: s == s.strip() and s.isprintable()))
TEXT = st.text(max_size=20)
LINE = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)
CONF = st.builds(Confidence, st.sampled_from(list(ConfidenceLevel)),
                 st.sampled_from(list(ConfidenceLevel)))


@st.composite
def valid_map(draw) -> MechanismMap:
    ids = draw(st.lists(IDS, min_size=1, max_size=7, unique=True))
    nodes = tuple(
        Node(i, label=draw(st.just("") | LINE), role=draw(st.sampled_from(list(Role))),
             level=draw(st.sampled_from(list(Level))), time_varying=draw(st.booleans()),
             observed=draw(st.booleans()), measures=tuple(draw(st.lists(LINE, max_size=2))),
             provenance=draw(st.sampled_from(list(Provenance))),
             stage=draw(st.none() | st.sampled_from(["strategy", "mechanism", "outcome"]) | LINE),
             description=draw(st.just("") | TEXT))
        for i in ids
    )
    order = draw(st.permutations(ids))
    pairs = [(order[a], order[b]) for a in range(len(order)) for b in range(a + 1, len(order))]
    lag0 = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=8)) if pairs else []
    lag1 = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), unique=True,
                         max_size=3))
    numbers = iter(draw(st.permutations(range(1, 30))))
    edges = tuple(
        Edge(s, t, lag=lag, arrow=next(numbers) if draw(st.booleans()) else None,
             provenance=draw(st.sampled_from(list(Provenance))), confidence=draw(CONF),
             evidence=tuple(Evidence(draw(LINE), draw(TEXT))
                            for _ in range(draw(st.integers(0, 1)))),
             description=draw(st.just("") | TEXT), direction_uncertain=draw(st.booleans()))
        for lag, group in ((0, lag0), (1, lag1)) for s, t in group
    )
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
    k = draw(st.integers(0, len(chosen)))
    m = MechanismMap(nodes=nodes, edges=edges, title=draw(st.just("") | LINE),
                     citation=draw(st.just("") | LINE), doi=draw(st.just("") | LINE),
                     treatment=tuple(chosen[:k][:1]), outcome=tuple(chosen[k:][:1]),
                     adjustment=tuple(draw(st.lists(st.sampled_from(ids), unique=True,
                                                    max_size=2))))
    periods = draw(st.sampled_from([None, None, 1, 2]))
    if periods is not None:
        try:
            m = m.unroll(periods)
        except FacmechError:
            pass  # e.g. ids that clash once suffixed with _t<k>: keep the raw map
    return m


def _nodes(m: MechanismMap) -> list[tuple]:
    return [(n.id, n.label or n.id, n.role, n.level, n.time_varying, n.observed, n.stage,
             n.provenance, n.base, n.period) for n in m.nodes]


def _edges(m: MechanismMap) -> list[tuple]:
    return sorted((e.source, e.target, e.lag, e.arrow, str(e.confidence), e.provenance.value)
                  for e in m.edges)


def _carried(m: MechanismMap) -> tuple:
    return (_nodes(m), _edges(m), m.title, m.periods, m.treatment, m.outcome, m.adjustment)


# ---- the properties -------------------------------------------------------------------------------

@fuzz_settings(300)
@given(st.text(max_size=300))
def test_fuzz_any_text_gives_a_map_or_a_facmech_error(text):
    _reads_or_refuses(text)


@fuzz_settings(400)
@given(token_soup())
def test_fuzz_token_soup_of_every_format(text):
    _reads_or_refuses(text)


@fuzz_settings(300)
@given(yaml_document())
def test_fuzz_yaml_documents_of_any_shape(text):
    _reads_or_refuses(text)


_BUILTIN = load_map()
_SEEDS = {f"{name}{'' if p is None else p}": write(_BUILTIN if p is None else _BUILTIN.unroll(p))
          for name, write in WRITERS.items() for p in (None, 2)}


@fuzz_settings(400)
@given(st.sampled_from(sorted(_SEEDS)), st.data())
def test_fuzz_mutated_valid_maps(which, data):
    _reads_or_refuses(_mutate(_SEEDS[which], data))


@fuzz_settings(150)
@given(valid_map(), st.data())
def test_fuzz_mutated_random_maps(m, data):
    text = WRITERS[data.draw(st.sampled_from(sorted(WRITERS)))](m)
    _reads_or_refuses(_mutate(text, data))


@fuzz_settings(200)
@given(valid_map())
def test_fuzz_yaml_round_trip_is_the_identity(m):
    back = read_map_text(dump_yaml(m))
    assert back.to_dict() == m.to_dict()
    assert (back.title, back.citation, back.doi, back.periods) == (m.title, m.citation, m.doi,
                                                                  m.periods)
    assert (back.treatment, back.outcome, back.adjustment) == (m.treatment, m.outcome,
                                                               m.adjustment)


@fuzz_settings(200)
@given(valid_map(), st.sampled_from(["dagitty", "dot", "gml"]))
def test_fuzz_graph_format_round_trip_keeps_what_the_format_carries(m, fmt):
    text = WRITERS[fmt](m)
    back = read_map_text(text)
    assert _carried(back) == _carried(m), text
