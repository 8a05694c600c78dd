"""Every command and example in the README runs as written and prints what the README shows
(issue 13: the README's own `plan --path trust` error example had silently stopped being an
error, and a gformula example failed on the README's data).

Each fenced block of the README is claimed by exactly one check below (an unclaimed block fails
the test, so a new example cannot go untested):

- the Python and shell quickstarts run in a fresh directory and print their ``Output:`` blocks
  line for line (trailing spaces aside);
- the mediation ``--json`` call runs and has the keys the README lists;
- the ``$ facmech ...`` error example fails with exit status 2 and the README's message;
- the YAML map is a valid map; the Dask example runs with the serial backend and fewer
  replicates (no scheduler here), everything else as written;
- ``make demo``/``make test`` name Makefile targets, and the demo's output blocks have the shape
  :func:`facmech.demo.run_demo` prints (checked in ``tests/report/test_demo.py``).

Inline commands (`` `facmech ...` `` in the prose) are parsed by the CLI's own parser, the CLI
reference table's options exist in their subcommands, inline Python calls run, and every test
or simulation path the README cites exists.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from pathlib import Path

from facmech.cli import build_parser, main

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
BLOCKS = [(m.group(1), m.group(2), README[:m.start()].count("\n") + 1)
          for m in FENCE.finditer(README)]


def _claim(block: tuple[str, str, int]) -> str:
    lang, text, _ = block
    if lang == "sh" and text.startswith("make demo"):
        return "make"
    if lang == "text" and text.startswith("== Where everything is"):
        return "demo-files"
    if lang == "text" and text.lstrip().startswith("estimator"):
        return "demo-sustained"
    if lang == "yaml":
        return "yaml-map"
    if lang == "python" and "facmech.load_map()" in text and "mediate(" in text:
        return "python-quickstart"
    if lang == "python" and "design_study(" in text:
        return "dask-example"
    if lang == "sh" and text.startswith("facmech simulate"):
        return "shell-quickstart"
    if lang == "sh" and text.startswith("facmech mediate") and "--json" in text:
        return "mediate-json"
    if lang == "sh" and text.startswith("facmech gformula"):
        return "gformula-example"
    if lang == "text" and text.startswith("$ facmech"):
        return "error-example"
    if lang == "text" and _follows_output(block):
        return "output"
    if lang == "python" and _next_is_output(block):
        return "python-example"
    return ""


def _next_is_output(block: tuple[str, str, int]) -> bool:
    i = BLOCKS.index(block)
    return i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text"


def _follows_output(block: tuple[str, str, int]) -> bool:
    i = BLOCKS.index(block)
    return i > 0 and _claim(BLOCKS[i - 1]) in ("python-quickstart", "shell-quickstart",
                                                "python-example")


def _output_after(kind: str) -> list[str]:
    i = next(k for k, b in enumerate(BLOCKS) if _claim(b) == kind)
    lang, text, _ = BLOCKS[i + 1]
    assert lang == "text", f"the README's {kind} must be followed by its ```text output"
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def _block(kind: str) -> str:
    return next(text for _, text, _ in (b for b in BLOCKS if _claim(b) == kind))


def _commands(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.replace("\\\n", " ").splitlines() if line.strip()]


def test_every_block_is_checked():
    unclaimed = [f"line {line}: ```{lang} {text.splitlines()[0][:60]!r}"
                 for lang, text, line in BLOCKS if not _claim((lang, text, line))]
    assert not unclaimed, "README blocks no test runs: " + "; ".join(unclaimed)
    kinds = [_claim(b) for b in BLOCKS]
    for kind in ("python-quickstart", "shell-quickstart", "mediate-json", "gformula-example",
                 "error-example",
                 "yaml-map", "dask-example", "make", "demo-files", "demo-sustained"):
        assert kinds.count(kind) == 1, kind


def test_make_targets_exist():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    for line in _block("make").splitlines():
        target = line.split()[1]
        assert re.search(rf"^{target}:", make, re.M), target


def test_yaml_map_example_is_a_valid_map():
    from facmech.formats import read_map_text

    m = read_map_text(_block("yaml-map"))
    assert "leadership_engagement" in m.node_ids
    assert m.edge("leadership_engagement", "facilitation", lag=1).lag == 1


def test_python_quickstart_prints_its_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(_block("python-quickstart"), "README.md", "exec"), {"__name__": "readme"})
    got = [line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines()]
    assert got == _output_after("python-quickstart")
    assert (tmp_path / "plan.html").exists()


def test_python_examples_print_their_output(tmp_path, monkeypatch):
    """Every other Python block followed by an ``Output:`` block (the statsmodels models, the
    DoWhy hand-over) prints it line for line."""
    examples = [b for b in BLOCKS if _claim(b) == "python-example"]
    assert len(examples) >= 2
    monkeypatch.chdir(tmp_path)
    for block in examples:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(block[1], "README.md", "exec"), {"__name__": "readme"})
        got = [line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines()]
        out = BLOCKS[BLOCKS.index(block) + 1][1]
        assert got == [line.rstrip() for line in out.rstrip("\n").splitlines()], block[2]


def test_shell_quickstart_prints_its_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = []
    for cmd in _commands(_block("shell-quickstart")):
        assert cmd[0] == "facmech"
        assert main(cmd[1:]) == 0, cmd
        out += capsys.readouterr().out.rstrip("\n").splitlines()
    assert [line.rstrip() for line in out] == _output_after("shell-quickstart")


def test_mediate_json_has_the_keys_the_readme_lists(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "--scenario", "zambia", "--seed", "1", "--out", "trial.csv"]) == 0
    capsys.readouterr()
    (cmd,) = _commands(_block("mediate-json"))
    assert main(cmd[1:]) == 0
    d = json.loads(capsys.readouterr().out)
    start = README.index("```sh\n" + _block("mediate-json"))
    prose = README[:start].rstrip().rsplit("\n\n", 1)[-1]
    for key in re.findall(r"`(\w+)`", prose.split("also", 1)[1]):
        assert key in d, key
    for key in re.findall(r"`(\w+)`", prose.split("also", 1)[0].split("to", 1)[1]):
        assert all(key in e for e in d["effects"].values()), key


def test_gformula_example_runs_on_the_simulated_trial(tmp_path, monkeypatch, capsys):
    # issue 13: the README's gformula example failed on facmech's own simulated CSV
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "--scenario", "zambia", "--seed", "1", "--out", "trial.csv"]) == 0
    capsys.readouterr()
    (cmd,) = _commands(_block("gformula-example"))
    assert main(cmd[1:]) == 0
    out = capsys.readouterr().out
    assert out.startswith("g-methods (parametric): 24 sites x 5 periods")
    assert "from:1:1.5 - never" in out


def test_error_example_fails_as_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lines = _block("error-example").rstrip("\n").splitlines()
    cmd = shlex.split(lines[0][2:])
    assert main(cmd[1:]) == 2
    assert capsys.readouterr().err.rstrip("\n").splitlines() == lines[1:]
    assert not (tmp_path / "plan.html").exists()


def test_dask_example_runs_with_the_serial_backend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = _block("dask-example")
    # no scheduler on a test machine: the serial backend gives identical numbers (README)
    code = re.sub(r"backend=Dask\(address=[^)]*\)", "backend=Serial()", code)
    code = code.replace("reps=5000", "reps=20").replace("Dask, ", "Dask, Serial, ")
    assert "backend=Serial()" in code and "reps=20" in code
    env: dict = {}
    exec(compile(code, "README.md", "exec"), env)
    frame = env["study"].to_frame()
    assert set(frame["sites"]) == {12, 24, 36, 48} and (tmp_path / "study.jsonl").exists()


def _inline_spans() -> list[str]:
    prose = FENCE.sub("", README)
    return [" ".join(s.split()) for s in re.findall(r"`([^`]+)`", prose)]


PLACEHOLDER = re.compile(r"\[|\||\.\.\.|\bX\b|\bY\b|\bA\b|\bM\b|\bN\b|FILE|CSV|a,b,c|NODE")


def test_inline_commands_parse():
    parser = build_parser()
    checked = 0
    for span in _inline_spans():
        if not span.startswith("facmech ") or PLACEHOLDER.search(span) or "/" in span:
            continue  # templates: placeholders, alternatives (show/render), remote addresses
        words = shlex.split(span)
        if len(words) == 2:  # a reference to a subcommand ("`facmech plan` options: ...")
            assert words[1] in _subparsers(), span
            continue
        try:
            parser.parse_args(words[1:])
        except SystemExit as exc:  # pragma: no cover - the message is the failure
            raise AssertionError(f"README command does not parse: {span!r}") from exc
        checked += 1
    assert checked >= 3


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_cli_reference_options_exist():
    subs = _subparsers()
    table = README[README.index("## CLI reference"):README.index("## Validation")]
    rows = [r for r in table.splitlines() if r.startswith("| `facmech")]
    assert len(rows) >= 8
    for row in rows:
        for cmd in re.findall(r"`(facmech [^`]+)`", row.split(" | ")[0]):
            name = cmd.split()[1].split("/")[0].rstrip(",")
            sub = subs[name]
            if name == "map":
                sub = dict(next(a for a in sub._actions
                                if isinstance(a, argparse._SubParsersAction)).choices)["show"]
            known = {o for a in sub._actions for o in a.option_strings}
            for opt in re.findall(r"--[a-z][a-z-]*", cmd):
                if name == "map" and opt in ("--highlight", "--periods"):
                    continue  # options of `map render`
                assert opt in known, f"{opt} is not an option of `facmech {name}`"


def test_inline_python_calls_run():
    import facmech

    m = facmech.load_map()
    calls = [s for s in _inline_spans() if s.startswith("facmech.") and "(" in s]
    assert calls
    for call in calls:
        eval(call, {"facmech": facmech, "m": m})
    r = facmech.identify(m, "facilitation", "uptake", effect="nie", mediators=["champions"])
    assert r.witness == "leadership_engagement"  # what the README says it names


def test_cited_paths_exist():
    cited = set(re.findall(r"`((?:tests|simulations|benchmarks|notebooks)/[^`]*)`", README))
    assert cited
    for path in cited:
        assert list(ROOT.glob(path)), path
    tests = {p.name for p in (ROOT / "tests").rglob("test_*.py")}
    for name in set(re.findall(r"`(test_\w+\.py)`", README)):
        assert name in tests, name
