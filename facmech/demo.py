"""The end-to-end demo (``make demo`` = ``python -m facmech demo``): the whole job on the built-in map.

:func:`run_demo` goes through what an implementation scientist does with facmech, printing a short
block per stage and writing every artefact under one directory (default ``facmech-out/``):

1. the built-in mechanism map of healthcare facilitation (Kilbourne et al. 2023): nodes by role and
   the 15 numbered arrows with their confidence;
2. the map figure with the hypothesized path highlighted;
3. identification of the path facilitation -> leadership_engagement -> acceptance -> socialization
   -> coherence -> capacity -> trust -> normalization -> uptake, and what must be measured;
4. a simulated Zambia-like stepped-wedge trial (24 facilities, adaptive and tapering dose) with its
   known true effects;
5. mediation through the scenario's mediator next to the truth;
6. the sustained-dose effect by the g-formula next to the truth and the biased naive regression;
7. a small Monte Carlo power curve against the number of sites;
8. the analysis-plan report with the trial's estimates.

It returns a :class:`DemoResult` holding the key numbers, so tests and notebooks can check them.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from facmech.errors import FacmechError

__all__ = ["DEMO_PATH", "DemoResult", "run_demo"]

#: The hypothesized path of the demo: the paper's summary pathway, through leadership first.
DEMO_PATH = (
    "facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
    "capacity", "trust", "normalization", "uptake",
)


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced: the files it wrote and the numbers it printed.

    ``files`` maps a short name (``map``, ``data``, ``truth``, ``power``, ``report``, ...) to its
    path; ``numbers`` maps ``"<stage>.<quantity>"`` to a float (e.g. ``"mediation.nie"`` and
    ``"truth.nie"``), ``seconds`` the time per stage.
    """

    out: Path
    files: Mapping[str, Path] = field(default_factory=dict)
    numbers: Mapping[str, float] = field(default_factory=dict)
    seconds: Mapping[str, float] = field(default_factory=dict)


class _Stages:
    """Prints numbered stage headers and times each stage."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.k = 0
        self.seconds: dict[str, float] = {}
        self._name = ""
        self._t0 = 0.0

    def start(self, name: str, title: str) -> None:
        self._close()
        self.k += 1
        self._name, self._t0 = name, time.perf_counter()
        self.print(f"\n== {self.k}. {title} " + "=" * max(3, 72 - len(title)))

    def _close(self) -> None:
        if self._name:
            self.seconds[self._name] = time.perf_counter() - self._t0

    def print(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def done(self) -> dict[str, float]:
        self._close()
        self._name = ""
        return self.seconds


def _row(name: str, est: Any, truth: float | None) -> str:
    ci = f"[{est.ci_low:7.3f}, {est.ci_high:7.3f}]" if est.ci_low is not None else " " * 18
    t = "" if truth is None else f"{truth:8.3f}"
    return f"  {name:<26}{est.estimate:8.3f}  {ci}  {t}"


def run_demo(
    out: str | Path = "facmech-out",
    *,
    quick: bool = False,
    seed: int = 2023,
    stream: TextIO | None = None,
) -> DemoResult:
    """Run the end-to-end demo and write its artefacts under ``out``.

    Parameters
    ----------
    out : path, default "facmech-out"
        Output directory (created if missing).
    quick : bool, default False
        Smaller resampling and Monte Carlo sizes (for tests and CI); the same stages run.
    seed : int, default 2023
        Root seed: the same seed gives the same numbers.
    stream : text stream, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    DemoResult
    """
    from facmech.design import design_study
    from facmech.design.map_trial import MapTrial
    from facmech.gmethods import gformula
    from facmech.gmethods.naive import naive_regression
    from facmech.identification import identify, measurement_plan
    from facmech.mechanism_map import load_map
    from facmech.mediation import MonteCarlo, mediate
    from facmech.plotting import save_map_figure
    from facmech.report import plan
    from facmech.simulation import load_scenario, simulate

    outdir = Path(out)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FacmechError(f"`out`: cannot create directory {str(out)!r}: {exc.strerror}") from None
    st = _Stages(stream or sys.stdout)
    files: dict[str, Path] = {}
    numbers: dict[str, float] = {}

    st.start("map", "The mechanism map (Kilbourne et al. 2023, Fig. 2, reconstructed)")
    mmap = load_map("facilitation")
    st.print(mmap.summary())

    st.start("figure", "The map figure, hypothesized path highlighted")
    files["map"] = save_map_figure(mmap, outdir / "facilitation-map.png", highlight=list(DEMO_PATH),
                                   dpi=150)
    st.print("  path: " + " -> ".join(DEMO_PATH))
    st.print(f"  wrote {files['map']}")

    st.start("identify", "Is the hypothesized path identified? What must be measured?")
    ident = identify(mmap, DEMO_PATH[0], DEMO_PATH[-1], effect="path", path=list(DEMO_PATH))
    st.print(ident.summary())
    numbers["identification.identified"] = float(ident.identifiable)
    if not ident.identifiable:
        mp = measurement_plan(mmap, ident)
        st.print(mp.summary() if hasattr(mp, "summary") else str(mp))
        measured = mmap.with_observed(getattr(mp, "measure", ()) or ())
        again = identify(measured, DEMO_PATH[0], DEMO_PATH[-1], effect="path", path=list(DEMO_PATH))
        st.print(f"  after measuring {', '.join(getattr(mp, 'measure', ()) or ()) or 'nothing'}: "
                 f"{'identified' if again.identifiable else 'still not identified'}"
                 + (f" ({again.strategy})" if again.strategy else ""))
        numbers["identification.identified_after_measuring"] = float(again.identifiable)

    st.start("simulate", "A Zambia-like stepped-wedge trial with adaptive dose (simulated)")
    scenario = load_scenario("zambia")
    trial = simulate("zambia", seed=seed)
    data, truth = trial.data, dict(trial.truth)
    files["data"] = outdir / "zambia-trial.csv"
    data.to_csv(files["data"], index=False)
    files["truth"] = outdir / "zambia-truth.json"
    files["truth"].write_text(json.dumps(truth, indent=2, default=float), encoding="utf-8")
    d = trial.design
    st.print(f"  {scenario.description}")
    st.print(f"  {data['site'].nunique()} sites x {data['period'].nunique()} periods x "
             f"{len(data) // (data['site'].nunique() * data['period'].nunique())} patients = "
             f"{len(data)} patient rows; design {type(d).__name__}")
    st.print("  mean facilitation dose by period (hours, exposed sites): "
             + ", ".join(f"{v:.2f}" for v in
                         data[data["exposed"] == 1].groupby("period")["facilitation"].mean()))
    st.print(f"  truth: total {truth['total']:.3f}, nde {truth['nde']:.3f}, nie {truth['nie']:.3f} "
             f"(mediator {', '.join(truth['mediators'])}; outcome {truth['outcome']})")
    st.print(f"  wrote {files['data']} and {files['truth']}")
    for k in ("total", "nde", "nie"):
        numbers[f"truth.{k}"] = float(truth[k])

    st.start("mediate", "Mediated effects, clustered by site, next to the truth")
    draws = 400 if quick else 2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med = mediate(data, treatment="exposed", mediators=list(truth["mediators"]),
                      outcome=truth["outcome"], covariates=["severity"], cluster="site",
                      time="period", inference=MonteCarlo(draws=draws), seed=seed)
    st.print(f"  {med.method}")
    st.print(f"  {'effect':<26}{'estimate':>8}  {'95% interval':^18}  {'truth':>8}")
    for k in ("total", "nde", "nie"):
        st.print(_row(k, med.effects[k], truth[k]))
        numbers[f"mediation.{k}"] = med.effects[k].estimate
        numbers[f"mediation.{k}.ci_low"] = med.effects[k].ci_low
        numbers[f"mediation.{k}.ci_high"] = med.effects[k].ci_high

    st.start("gformula", "Sustained facilitation: g-formula vs truth vs naive regression")
    sp = trial.site_periods
    base = float(scenario.dose.base)
    conf = ["leadership_engagement"]
    g = gformula(sp, unit="site", time="period", treatment="facilitation", confounders=conf,
                 outcome=truth["outcome"], strategies=[f"always:{base:g}", "never"],
                 timing="after", outcome_at="mean", inference=100 if quick else 500, seed=seed)
    naive = naive_regression(sp, unit="site", time="period", treatment="facilitation",
                             confounders=conf, outcome=truth["outcome"])
    true_c = float(truth["sustained"]["contrast"])
    st.print(f"  strategies: dose {base:g} in every period vs none; outcome {truth['outcome']} "
             f"(mean over periods); confounder {conf[0]} (feeds back into the next dose)")
    st.print(f"  {'estimator':<26}{'estimate':>8}  {'95% interval':^18}  {'truth':>8}")
    st.print(_row("g-formula (parametric)", g.contrast, true_c))
    st.print(_row("naive regression (adj.)", naive, true_c))
    numbers.update({"gformula.contrast": g.contrast.estimate, "naive.contrast": naive.estimate,
                    "truth.sustained": true_c})

    st.start("power", "Power against the number of sites (Monte Carlo design study)")
    reps = 60 if quick else 200
    study = design_study(MapTrial("zambia"), grid={"sites": [12, 24, 36]}, reps=reps, seed=seed,
                         progress=False)
    table = study.to_frame()
    st.print(f"  {reps} simulated Zambia-like trials per number of sites; product-of-coefficients "
             "mediation and the total effect")
    st.print(table.pivot(index="sites", columns="estimand", values="power").round(2)
             .to_string().replace("\n", "\n  ").join(["  ", ""]))
    files["power"] = outdir / "power-curve.png"
    fig = study.plot()
    getattr(fig, "figure", fig).savefig(files["power"], dpi=120, bbox_inches="tight")
    files["power_table"] = outdir / "power-curve.csv"
    table.to_csv(files["power_table"], index=False)
    for r in table.itertuples():
        numbers[f"power.{r.estimand}.{r.sites}"] = float(r.power)
    st.print(f"  wrote {files['power']} and {files['power_table']}")

    st.start("report", "The analysis-plan report")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = plan(mmap, treatment=DEMO_PATH[0], outcome=DEMO_PATH[-1], path=DEMO_PATH,
                      design="stepped-wedge", sites=(12, 24, 36), data=data, cluster="site",
                      time="period", exposure="exposed", seed=seed,
                      out=outdir / "analysis-plan.html")
    files["report"] = outdir / "analysis-plan.html"
    files["report_md"] = report.save(outdir / "analysis-plan.md")
    st.print(report.summary())
    seconds = st.done()

    st.print("\n== Where everything is " + "=" * 55)
    width = max(len(k) for k in files)
    for k, p in files.items():
        st.print(f"  {k:<{width}}  {p.resolve()}")
    st.print(f"\nOpen the report in a browser: file://{files['report'].resolve()}")
    st.print(f"(total {sum(seconds.values()):.1f} s)")
    return DemoResult(out=outdir, files=files, numbers=numbers, seconds=seconds)

