"""Regenerate dagitty_reference.json: dagitty texts parsed by dagitty's *official* grammar.

Requires node, ``npm install pegjs@0.10.0`` and ``GraphDotParser.pegjs`` from
https://github.com/jtextor/dagitty (``jslib/parser/``), compiled next to ``dagitty_reference.js``::

    npx pegjs -o GraphDotParser.js GraphDotParser.pegjs
    python tests/maps/data/make_dagitty_reference.py

``dagitty_reference.js`` parses each text with that grammar and expands the statements into edges
as dagitty's ``GraphParser.parseDotStatementArray`` does (our own code; dagitty's is not vendored).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from facmech import load_map
from facmech.formats.dagitty import to_dagitty

HERE = Path(__file__).parent

CASES = {
    "builtin": to_dagitty(load_map()),
    "builtin_unrolled_3": to_dagitty(load_map().unroll(3)),
    "chains_groups_reverse": "dag { a -> b -> c; d <- c\n {e f} -> g\n e -> {a b}\n u [latent]; u -> a }",
    "flags_positions": 'dag {\n x [exposure, pos="0.1,2"]\n y [outcome]\n z [adjusted]\n x -> y; z -> y\n}',
    "bidirected": "dag { y <-> x; x -> y }",
    "quoted_names": 'dag { "Carry matches" [latent]; Smoking -> "Carry matches"; Smoking -> Cancer }',
    "unwrapped": "a -> b\nb -> c",
    "attributes": 'dag {\n a [label="The A", role=strategy]\n a -> b [lag=1, confidence="M-H", arrow=2]\n}',
    "malformed_missing_target": "dag {\n a -> b\n b -> \n}",
    "malformed_unclosed_attr": "dag {\n a -> b\n c [latent\n}",
}


def main() -> None:
    texts = list(CASES.values())
    proc = subprocess.run(
        ["node", str(HERE / "dagitty_reference.js")], input=json.dumps(texts), capture_output=True,
        text=True, check=True, cwd=HERE,
    )
    parsed = json.loads(proc.stdout)
    out = {
        name: {"text": text, "dagitty": res}
        for (name, text), res in zip(CASES.items(), parsed, strict=True)
    }
    (HERE / "dagitty_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
