"""Benchmark: start-up time of ``import facmech`` and ``facmech --help`` (issue 15 goal: < 0.5 s).

Each command runs in a fresh interpreter ``REPEATS`` times (hyperfine-style: one warm-up, then
timed runs; median and min reported) beside the bare interpreter start (``python -c pass``), and the
goal. The modules behind the time are listed with ``python -X importtime`` (the five largest
cumulative imports below facmech), so a regression points at its cause.

Before the lazy public API (module ``__getattr__`` in ``facmech/__init__.py``), ``import facmech``
loaded pandas, scipy.stats, statsmodels, networkx and matplotlib: 1.6 s on this machine.

Run: ``.venv/bin/python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = 10
GOAL = 0.5
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import facmech": [sys.executable, "-c", "import facmech"],
    "facmech --help": [sys.executable, "-m", "facmech", "--help"],
    "import facmech; facmech.load_map()": [
        sys.executable, "-c", "import facmech; facmech.load_map()",
    ],
}


def _time(cmd: list[str]) -> list[float]:
    subprocess.run(cmd, check=True, capture_output=True)  # warm-up (file cache)
    out = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def _largest_imports(code: str, n: int = 5) -> list[tuple[str, float]]:
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], check=True, capture_output=True, text=True
    )
    rows = []
    for line in res.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1e6))
    rows = [r for r in rows if not r[0].startswith("facmech")]
    return sorted(rows, key=lambda r: -r[1])[:n]


def main() -> None:
    print(f"start-up time, {REPEATS} runs each (goal: < {GOAL} s)")
    print(f"{'command':<38} {'median':>8} {'min':>8}  goal")
    for name, cmd in COMMANDS.items():
        times = _time(cmd)
        med = statistics.median(times)
        goal = name in ("import facmech", "facmech --help")  # the others are for reference
        verdict = ("met" if med < GOAL else "MISSED") if goal else "(no goal)"
        print(f"{name:<38} {med:8.3f} {min(times):8.3f}  {verdict}")
    print("\nlargest non-facmech imports under `import facmech` (cumulative s):")
    for mod, sec in _largest_imports("import facmech"):
        print(f"  {mod:<36} {sec:6.3f}")


if __name__ == "__main__":
    main()
