"""The hardening corpus of issue 14: hostile and careless CLI inputs, one or more per point.

Each :class:`Case` is a command line run in a fresh directory holding the files its ``setup``
writes. :func:`classify` runs it in-process with file-descriptor capture (so that text LAPACK prints
straight to fd 1 is caught too) and sorts it into

* ``clear``: exit 2, one line on stderr naming what the case's ``needle`` says, nothing on stdout
  from LAPACK, and no file created or changed;
* ``unclear``: an error line, but without the needle (or more than one line);
* ``traceback``: an exception escaped, or the CLI reported an internal error;
* ``silent``: exit 0 (a result where an error was due), or the case's own check failed.

Cases whose right answer is a result (the Markdown report escaping HTML, bootstrap warnings) carry
a ``check`` returning ``None`` when the output is right, else the reason.

Run ``python tests/hardening/count_corpus.py`` to print the counts; ``test_cli_corpus.py`` asserts
every case is ``clear``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CASES", "Case", "classify"]

_MAP_YAML = Path(__file__).resolve().parents[2] / "facmech" / "maps" / "facilitation.yaml"
PATH = "facilitation,champions,normalization,uptake"
PLAN = ["plan", "--treatment", "facilitation", "--outcome", "uptake", "--path", PATH]
POWER = ["power", "--design", "parallel", "--sites", "12", "--reps", "10", "--seed", "1",
         "--no-progress"]
STUDY = ["power", "--design", "parallel", "--sites", "12", "--reps", "200", "--seed", "1",
         "--no-progress", "--checkpoint", "ck.jsonl"]
MEDIATE = ["mediate", "d.csv", "--treatment", "x", "--mediator", "m", "--outcome", "y",
           "--site", "site", "--draws", "200", "--seed", "1"]
GFORMULA = ["gformula", "g.csv", "--site", "site", "--period", "period", "--treatment", "a",
            "--confounder", "l", "--outcome", "y", "--draws", "0"]


@dataclass(frozen=True)
class Case:
    id: str
    point: int
    argv: list[str]
    needle: str = ""
    setup: Callable[[Path], None] | None = None
    check: Callable[[Path, str, str], str | None] | None = None
    heavy: bool = False


# ---- fixtures written into the case directory --------------------------------------------------


def trial_frame(n_sites: int = 12, per: int = 20, seed: int = 0) -> pd.DataFrame:
    """Small two-arm cluster trial: site, x (site-level), c, m, y."""
    rng = np.random.default_rng(seed)
    site = np.repeat(np.arange(n_sites), per)
    x = (site % 2).astype(int)
    u = rng.normal(size=n_sites)[site] * 0.3
    c = rng.normal(size=site.size)
    m = 0.5 * x + 0.3 * c + u + rng.normal(size=site.size)
    y = 0.4 * m + 0.2 * x + 0.2 * c + u + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "x": x, "c": c, "m": m, "y": y})


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        p = d / name
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
    return setup


def _frame(name: str = "d.csv", edit: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
           **kw) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        f = trial_frame(**kw)
        (edit(f) if edit else f).to_csv(d / name, index=False)
    return setup


def _both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        for s in setups:
            s(d)
    return setup


def _map_as(name: str) -> Callable[[Path], None]:
    return _write(name, _MAP_YAML.read_text())


def _gdata(d: Path, *, text_periods: bool = False) -> None:
    rng = np.random.default_rng(1)
    n, t = 30, 3
    site, period = np.repeat(np.arange(n), t), np.tile(np.arange(t), n)
    lv = rng.normal(size=n * t)
    a = (rng.random(n * t) < 0.5).astype(int)
    y = lv + a + rng.normal(size=n * t)
    f = pd.DataFrame({"site": site, "period": period, "a": a, "l": lv, "y": y})
    if text_periods:
        f["period"] = f["period"].map({0: "jan", 1: "feb", 2: "mar"})
    f.to_csv(d / "g.csv", index=False)


def _checkpoint(tamper: Callable[[list[str]], list[str] | bytes]) -> Callable[[Path], None]:
    """A valid 2-task checkpoint of ``STUDY`` (written once, cached), then ``tamper`` applied."""
    def setup(d: Path) -> None:
        lines = _valid_checkpoint().splitlines()
        out = tamper(lines)
        if isinstance(out, bytes):
            (d / "ck.jsonl").write_bytes(out)
        else:
            (d / "ck.jsonl").write_text("\n".join(out) + "\n")
    return setup


_CK_CACHE: dict[str, str] = {}


def _valid_checkpoint() -> str:
    if "text" not in _CK_CACHE:
        with tempfile.TemporaryDirectory() as tmp, _chdir(Path(tmp)):
            from facmech.cli import main

            with contextlib.redirect_stdout(io.StringIO()):
                main([*STUDY])
            _CK_CACHE["text"] = Path("ck.jsonl").read_text()
    return _CK_CACHE["text"]


def _edit_record(line: int, edit: Callable[[dict], object]) -> Callable[[list[str]], list[str]]:
    def tamper(lines: list[str]) -> list[str]:
        rec = json.loads(lines[line - 1])
        out = edit(rec)
        lines = list(lines)
        lines[line - 1] = out if isinstance(out, str) else json.dumps(out if out is not None else rec)
        return lines
    return tamper


def _fewer(rec: dict) -> None:
    for cols in rec["result"].values():
        for k in cols:
            cols[k] = cols[k][:50]


def _nan(rec: dict) -> str:
    est = next(iter(rec["result"].values()))
    est["estimate"][3] = float("nan")
    return json.dumps(rec)  # json writes NaN, which json.loads accepts


def _shift(rec: dict) -> None:
    est = next(iter(rec["result"].values()))
    est["estimate"] = [v + 0.05 for v in est["estimate"]]


def _rename_estimand(rec: dict) -> None:
    rec["result"] = {"bogus": next(iter(rec["result"].values()))}


def _labels_map(d: Path) -> None:
    text = _MAP_YAML.read_text().replace(
        "label: Healthcare facilitation", "label: '<script>alert(1)</script> facilitation'"
    ).replace("label: Champions / internal facilitators",
              "label: '<img src=x onerror=alert(1)> champions'"
    ).replace("title: Healthcare facilitation mechanism map", "title: '<script>t()</script> map'"
    ).replace('"Implementation Climate Scale"', '"<script>m()</script> scale"'
    ).replace("description: Organizational readiness for change at baseline.",
              "description: '<img src=x onerror=d()> readiness'")
    (d / "evil.yaml").write_text(text)


def _no_raw_html(name: str) -> Callable[[Path, str, str], str | None]:
    def check(d: Path, out: str, err: str) -> str | None:
        p = d / name
        if not p.exists():
            return f"{name} not written ({err.strip()})"
        text = p.read_text()
        for bad in ("<script", "<img src=x"):
            if bad in text:
                return f"raw {bad!r} in {name}"
        return None
    return check


def _warned(needle: str) -> Callable[[Path, str, str], str | None]:
    """JSON output: every effect has a finite SE and interval, unless a warning names it."""
    def check(d: Path, out: str, err: str) -> str | None:
        try:
            res = json.loads(out)
        except json.JSONDecodeError:
            return f"no JSON result ({err.strip()[:100]})"
        notes = " ".join(res.get("warnings", []))
        for name, e in res["effects"].items():
            if any(e.get(k) is None for k in ("std_error", "ci_low", "ci_high")) and \
                    needle not in notes:
                return f"{name}: standard error or interval missing (NaN) without a warning"
        return None
    return check


def _bootstrap_zero_total(d: Path) -> None:
    # 6 sites, a rare 0/1 outcome analysed on the mean scale: some site resamples have no events,
    # a zero total effect, and nie / total is undefined there (found by search over seeds)
    rng = np.random.default_rng(6)
    site = np.repeat(np.arange(6), 4)
    x = site % 2
    m = rng.normal(size=site.size) + 0.5 * x
    y = (rng.random(site.size) < 0.2).astype(int)
    pd.DataFrame({"site": site, "x": x, "m": m, "y": y}).to_csv(d / "d.csv", index=False)


def _symlink(target: str, link: str) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        os.symlink(d / target, d / link)
    return setup


# ---- the cases ---------------------------------------------------------------------------------

CASES: list[Case] = [
    # 1. Dask exposure (the listening sockets are tested in test_dask_loopback.py)
    Case("power-scheduler-not-address", 1, [*POWER, "--scheduler", "not an address"],
         needle="scheduler"),
    Case("power-scheduler-bad-port", 1, [*POWER, "--scheduler", "tcp://127.0.0.1:99999"],
         needle="scheduler"),
    Case("power-dask-workers-zero", 1, [*POWER, "--backend", "dask", "--workers", "0"],
         needle="workers"),
    # 2. damaged checkpoints
    Case("ck-fewer-replicates", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, _fewer))),
    Case("ck-nan-value", 2, STUDY, needle="line 2", setup=_checkpoint(_edit_record(2, _nan))),
    Case("ck-tampered-values", 2, STUDY, needle="line 3",
         setup=_checkpoint(_edit_record(3, _shift))),
    Case("ck-task-abc", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, lambda r: {**r, "task": "abc"}))),
    Case("ck-task-out-of-range", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, lambda r: {**r, "task": 99}))),
    Case("ck-no-result", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, lambda r: {"task": r["task"]}))),
    Case("ck-record-is-list", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, lambda r: [1, 2]))),
    Case("ck-unknown-estimand", 2, STUDY, needle="line 2",
         setup=_checkpoint(_edit_record(2, _rename_estimand))),
    Case("ck-binary-garbage", 2, STUDY, needle="ck.jsonl",
         setup=_checkpoint(lambda lines: b"\x80\xff\xfe garbage \x00\x9c" * 20)),
    Case("ck-garbage-line-in-middle", 2, STUDY, needle="line 2",
         setup=_checkpoint(lambda lines: [lines[0], "{not json", *lines[1:]])),
    # 3. outputs never destroy inputs
    Case("map-render-onto-map", 3, ["map", "render", "--map", "m.svg", "--out", "m.svg"],
         needle="--map", setup=_map_as("m.svg")),
    Case("plan-onto-map", 3, [*PLAN, "--map", "m.md", "--out", "m.md"], needle="--map",
         setup=_map_as("m.md")),
    Case("plan-onto-data-symlink", 3, [*PLAN, "--data", "d.csv", "--site", "site",
                                       "--out", "link.md"],
         needle="--data", setup=_both(_frame(), _symlink("d.csv", "link.md"))),
    Case("power-checkpoint-is-out", 3, [*POWER, "--checkpoint", "X.csv", "--out", "X.csv"],
         needle="--checkpoint"),
    Case("simulate-over-existing", 3, ["simulate", "--design", "parallel", "--sites", "4",
                                       "--out", "d.csv"], needle="--force", setup=_frame()),
    Case("simulate-truth-is-scenario", 3, ["simulate", "--scenario", "s.json", "--out", "o.csv",
                                           "--truth", "s.json"],
         needle="--scenario", setup=_write("s.json", "{}")),
    Case("power-out-over-existing", 3, [*POWER, "--out", "d.csv"], needle="--force",
         setup=_frame()),
    # 4. output paths and formats checked before computing
    Case("power-out-missing-dir", 4, [*POWER, "--out", "nodir/x.csv"], needle="nodir"),
    Case("power-plot-xyz", 4, [*POWER, "--plot", "x.xyz"], needle="--plot"),
    Case("power-out-wrong-suffix", 4, [*POWER, "--out", "x.png"], needle="--out"),
    Case("power-analytic-plot-xyz", 4, ["power", "--analytic", "--design", "parallel", "--sites",
                                        "12", "--patients", "20", "--effect", "0.3",
                                        "--icc", "0.05", "--plot", "p.xyz"], needle="--plot"),
    Case("simulate-truth-missing-dir", 4, ["simulate", "--design", "parallel", "--sites", "4",
                                           "--out", "o.csv", "--truth", "nodir/t.json"],
         needle="nodir"),
    Case("plan-out-missing-dir", 4, [*PLAN, "--out", "nodir/r.md"], needle="nodir"),
    # 5. resource exhaustion
    Case("simulate-huge", 5, ["simulate", "--design", "parallel", "--sites", "200000",
                              "--patients", "2000", "--out", "big.csv"], needle="memory",
         heavy=True),
    Case("plan-huge-sites", 5, [*PLAN, "--sites", "100000000", "--out", "r.md"], needle="sites",
         heavy=True),
    Case("power-huge-map-study", 5, ["power", "--scenario", "zambia", "--sites", "100000",
                                     "--patients", "5000", "--reps", "10", "--no-progress"],
         needle="memory", heavy=True),
    # 6. tracebacks
    Case("mediate-empty-csv", 6, MEDIATE, needle="d.csv", setup=_write("d.csv", "")),
    Case("mediate-header-only", 6, MEDIATE, needle="no rows", setup=_write("d.csv", "site,x,m,y\n")),
    Case("mediate-ragged-csv", 6, MEDIATE, needle="line",
         setup=_write("d.csv", "site,x,m,y\n1,0,0.5,1\n2,1,0.3,0.2,9,9\n")),
    Case("mediate-binary-file", 6, MEDIATE, needle="d.csv",
         setup=_write("d.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 10)),
    Case("implications-empty-csv", 6, ["implications", "--data", "d.csv"], needle="d.csv",
         setup=_write("d.csv", "")),
    Case("implications-ragged-csv", 6, ["implications", "--data", "d.csv"], needle="line",
         setup=_write("d.csv", "a,b\n1,2\n3,4,5,6\n")),
    Case("plan-empty-csv", 6, [*PLAN, "--data", "d.csv", "--site", "site", "--out", "r.md"],
         needle="d.csv", setup=_write("d.csv", "")),
    Case("plan-ragged-csv", 6, [*PLAN, "--data", "d.csv", "--site", "site", "--out", "r.md"],
         needle="line", setup=_write("d.csv", "site,x\n1,2\n3,4,5\n")),
    Case("gformula-empty-csv", 6, GFORMULA, needle="g.csv", setup=_write("g.csv", "")),
    Case("gformula-text-periods", 6, GFORMULA, needle="period",
         setup=lambda d: _gdata(d, text_periods=True)),
    Case("mediate-interaction-inf-mediator", 6, [*MEDIATE, "--interaction"], needle="inf",
         setup=_frame(edit=lambda f: f.assign(m=f["m"].where(f.index != 7, np.inf)))),
    Case("mediate-inf-outcome", 6, MEDIATE, needle="inf",
         setup=_frame(edit=lambda f: f.assign(y=f["y"].where(f.index != 3, -np.inf)))),
    Case("mediate-huge-mediator", 6, [*MEDIATE, "--interaction"], needle="m",
         setup=_frame(edit=lambda f: f.assign(m=f["m"].where(f.index != 7, 1e308)))),
    # 7. silent wrong results
    Case("mediate-duplicated-column", 7, MEDIATE, needle="duplicated",
         setup=_write("d.csv", trial_frame().to_csv(index=False).replace(
             "site,x,c,m,y", "site,x,m,m,y", 1))),
    Case("gformula-duplicated-column", 7, GFORMULA, needle="duplicated",
         setup=lambda d: (_gdata(d), (d / "g.csv").write_text(
             (d / "g.csv").read_text().replace("site,period,a,l,y", "site,period,a,l,l", 1)))),
    Case("plan-duplicated-column", 7, [*PLAN, "--data", "d.csv", "--site", "site",
                                       "--out", "r.md"], needle="duplicated",
         setup=_write("d.csv", "site,site,x\n1,2,3\n")),
    Case("simulate-periods-zero", 7, ["simulate", "--design", "stepped-wedge", "--sites", "4",
                                      "--steps", "2", "--periods", "0", "--out", "o.csv"],
         needle="periods"),
    Case("simulate-sites-negative", 7, ["simulate", "--design", "parallel", "--sites", "-3",
                                        "--out", "o.csv"], needle="sites"),
    Case("power-analytic-tau-negative", 7, ["power", "--analytic", "--design", "stepped-wedge",
                                            "--sites", "12", "--patients", "20", "--effect",
                                            "0.3", "--steps", "4", "--tau", "-1"],
         needle="tau"),
    Case("power-reps-negative", 7, [*POWER[:-3], "--reps", "-5"], needle="reps"),
    Case("mediate-bootstrap-prop-mediated", 7,
         ["mediate", "d.csv", "--treatment", "x", "--mediator", "m", "--outcome", "y",
          "--site", "site", "--bootstrap", "--draws", "200", "--seed", "1", "--json"],
         setup=_bootstrap_zero_total, check=_warned("proportion mediated")),
    # 8. unclear messages, where they surface in the CLI
    Case("mediate-inf-covariate", 8, [*MEDIATE, "--covariate", "c"], needle="inf",
         setup=_frame(edit=lambda f: f.assign(c=f["c"].where(f.index != 11, np.inf)))),
    Case("mediate-text-in-numeric-covariate", 8, [*MEDIATE, "--covariate", "c"], needle="`c`",
         setup=_frame(edit=lambda f: f.assign(c=f["c"].astype(object).where(f.index != 4, "high"))),),
    Case("mediate-missing-column", 8, [*MEDIATE[:-8], "--outcome", "yy", "--site", "site"],
         needle="yy", setup=_frame()),
    Case("gformula-missing-file", 8, GFORMULA, needle="g.csv"),
    # 9. Markdown report escapes HTML
    Case("plan-markdown-escapes-html", 9, [*PLAN, "--map", "evil.yaml", "--out", "r.md"],
         setup=_labels_map, check=_no_raw_html("r.md")),
]


@contextlib.contextmanager
def _chdir(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def _capture_fds():
    """Capture fds 1 and 2 (Python and C/Fortran writes alike) into two temporary files."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    files = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    os.dup2(files[0].fileno(), 1)
    os.dup2(files[1].fileno(), 2)
    old = sys.stdout, sys.stderr
    sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), write_through=True)
    result: dict[str, str] = {}
    try:
        yield result
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout.close()
        sys.stderr.close()
        sys.stdout, sys.stderr = old
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        for key, f in zip(("out", "err"), files, strict=True):
            f.seek(0)
            result[key] = f.read().decode("utf-8", "replace")
            f.close()


def _snapshot(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): (os.readlink(p) if p.is_symlink()
                                else hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(d.rglob("*")) if p.is_file() or p.is_symlink()
    }


def classify(case: Case, directory: Path) -> tuple[str, str]:
    """Run ``case`` in ``directory`` (empty) and return ``(kind, detail)``."""
    from facmech.cli import main

    if case.setup is not None:
        case.setup(directory)
    before = _snapshot(directory)
    escaped = None
    with _chdir(directory), _capture_fds() as io_:
        try:
            code = main(list(case.argv))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            escaped = traceback.format_exc(limit=-3)
            code = None
    out, err = io_["out"], io_["err"]
    if escaped is not None:
        return "traceback", escaped.strip().splitlines()[-1]
    if "Traceback (most recent call last)" in err or "internal error" in err:
        return "traceback", err.strip().splitlines()[-1]
    if "** On entry to" in out or "** On entry to" in err:
        return "traceback", "LAPACK message printed: " + (out + err).strip().splitlines()[0]
    if case.check is not None:
        problem = case.check(directory, out, err)
        return ("silent", problem) if problem else ("clear", f"exit {code}")
    if code == 0:
        return "silent", f"exit 0: {out.strip()[-120:]!r}"
    after = _snapshot(directory)
    if after != before:
        changed = sorted(k for k in set(after) | set(before) if after.get(k) != before.get(k))
        return "silent", f"exit {code} but files changed: {changed}"
    lines = err.strip().splitlines()
    if code != 2 or len(lines) != 1 or (case.needle and case.needle not in lines[0]):
        return "unclear", f"exit {code}: {err.strip()[:300]!r}"
    return "clear", lines[0]
