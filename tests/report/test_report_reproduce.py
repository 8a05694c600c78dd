"""The report's "Reproducing this plan" command is exact (issue 13): running it rebuilds the same
report, every number, table and figure (only the creation time and the output name differ); the
power assumptions are CLI options and the console prints them."""

from __future__ import annotations

import re
import shlex

from facmech.cli import main
from facmech.simulation import SteppedWedge, simulate


def _command(md: str) -> list[str]:
    block = md.split("## ", 100)[-1]  # the last section: Reproducing this plan
    assert block.startswith(f"{block.split('.')[0]}. Reproducing this plan")
    text = block.split("```")[1]
    cmd = text[text.index("facmech plan"):]
    return shlex.split(cmd.replace("\\\n", " "))


def _strip(md: str) -> str:
    md = re.sub(r"created \d{4}-\d\d-\d\d \d\d:\d\d UTC", "created -", md)
    return re.sub(r"--out \S+", "--out -", md)


def test_reproduce_command_rebuilds_the_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trial = simulate("zambia", SteppedWedge(sites=12, steps=4, patients=10), seed=11, truth=False)
    trial.data.rename(columns={"site": "clinic"}).to_csv("trial.csv", index=False)
    args = ["plan", "--path", "facilitation,champions,normalization,uptake", "--sites", "8,12",
            "--data", "trial.csv", "--cluster", "clinic", "--time", "period", "--exposure",
            "exposed", "--column", "site=clinic", "--icc", "0.1", "--patients", "15",
            "--reps", "10", "--first-link", "0.5", "--seed", "7", "--out", "first.md"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert ("  power assumptions: path 0.125 SD (first link 0.5 x rest of path 0.25), total "
            "0.275 SD (other routes 0.15); ICC 0.1; 15 patients per site-period; 4 steps; alpha "
            "0.05; 10 simulated trials per site count\n    (options: --first-link --rest-of-path "
            "--other-routes --icc --patients --steps --alpha --reps)") in out
    first = (tmp_path / "first.md").read_text(encoding="utf-8")
    cmd = _command(first)
    assert cmd[:2] == ["facmech", "plan"]
    for flag in ("--icc", "--patients", "--reps", "--first-link", "--seed", "--column",
                 "--exposure", "--period", "--site", "--data", "--design", "--sites"):
        assert flag in cmd
    assert cmd[cmd.index("--seed") + 1] == "7" and cmd[cmd.index("--icc") + 1] == "0.1"
    cmd[cmd.index("--out") + 1] = "second.md"
    assert main(cmd[1:]) == 0
    second = (tmp_path / "second.md").read_text(encoding="utf-8")
    assert _strip(second) == _strip(first.replace("first_figures/", "second_figures/"))
    for png in sorted((tmp_path / "first_figures").iterdir()):
        assert (tmp_path / "second_figures" / png.name).read_bytes() == png.read_bytes(), png.name


def test_python_plan_without_seed_prints_the_seed_it_drew():
    from facmech.report import PowerAssumptions, plan

    rep = plan(path="facilitation,champions,normalization,uptake", sites=(12,), seed=None,
               assumptions=PowerAssumptions(reps=10))
    code = rep.sections[-1].blocks[0].text
    seed = int(re.search(r"--seed (\d+)", code).group(1))
    again = plan(path="facilitation,champions,normalization,uptake", sites=(12,), seed=seed,
                 assumptions=PowerAssumptions(reps=10))
    assert again.power.frame.equals(rep.power.frame)


def test_cli_defaults_are_the_library_defaults():
    # `facmech plan --help` prints defaults without importing the report package; they must be
    # PowerAssumptions' own
    from dataclasses import asdict

    from facmech.cli.plan_cmd import _ASSUMPTIONS, PowerDefaults
    from facmech.report import PowerAssumptions
    from facmech.report.plan import ASSUMPTION_OPTIONS

    lib = asdict(PowerAssumptions())
    assert {name: getattr(PowerDefaults, name) for name, *_ in _ASSUMPTIONS} == lib
    assert [(n, o) for n, o, *_ in _ASSUMPTIONS] == list(ASSUMPTION_OPTIONS)
