"""Print the hardening corpus's counts (clear / unclear / traceback / silent) and each verdict.

    PYTHONPATH=. python tests/hardening/count_corpus.py [--light] [ID ...]

Runs every case in this process under a 4 GB address-space limit (so a case that tries to
allocate too much fails with MemoryError, counted as a traceback, instead of swapping).
"""

from __future__ import annotations

import collections
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpus import CASES, classify


def main(argv: list[str]) -> int:
    light = "--light" in argv
    wanted = {a for a in argv if not a.startswith("--")}
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, resource.RLIM_INFINITY))
    counts: collections.Counter[str] = collections.Counter()
    for case in CASES:
        if (wanted and case.id not in wanted) or (light and case.heavy):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            kind, detail = classify(case, Path(tmp))
        counts[kind] += 1
        print(f"{kind:9s} {case.point:2d} {case.id:36s} {detail[:150]}", flush=True)
    total = sum(counts.values())
    print(f"\n{total} cases: " + ", ".join(f"{counts[k]} {k}" for k in
                                          ("clear", "unclear", "traceback", "silent")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
