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
6. the map check: the map's implications, unrolled over the trial's periods, tested on its
   site-period data without and with the staff surveys (measurement-corrected);
7. the sustained-dose effect by the g-formula next to the truth and the biased naive regression;
8. a small Monte Carlo power curve against the number of sites;
9. the analysis-plan report with the trial's estimates.

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

__all__ = ["DEMO_PATH", "DemoResult", "run_demo", "sustained_truth"]

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


def _wrap(text: str, *, indent: str = "", width: int = 96) -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False)


def _row(name: str, est: Any, truth: float | None) -> str:
    ci = f"[{est.ci_low:7.3f}, {est.ci_high:7.3f}]" if est.ci_low is not None else " " * 18
    t = "" if truth is None else f"{truth:8.3f}"
    return f"  {name:<26}{est.estimate:8.3f}  {ci}  {t}"


def sustained_truth(scenario: Any, design: Any, *, start: int, level: float,
                    average_from: int = 0, sites: int = 2000, seed: int = 20230553) -> float:
    """True effect of "dose ``level`` in every period from ``start`` on" versus "never", averaged
    over the site-periods from period ``average_from`` on, by simulating both worlds with shared
    noise (facmech.simulation's engine).

    With ``start=0`` this is the simulator's own ``truth["sustained"]["contrast"]`` (same population
    and seed). A stepped wedge facilitates no site in its baseline period, so its data support
    strategies starting at period 1, which the simulator's truth does not report; this computes it.
    """
    import numpy as np

    from facmech._random import spawn_generators
    from facmech.simulation.engine import Model, Noise, Step, run_world

    model = Model.compile(scenario, design.periods)
    rng, _ = spawn_generators(seed, 2)  # the same population as facmech.simulation.true_effects
    noise = Noise.draw(model, sites, design.periods, design.patients, rng)

    def policy(dose_level: float):
        def step(t: int, world: Any) -> Any:
            dose = np.full(noise.sites, dose_level if t >= start else 0.0)
            return Step(exposed=(dose > 0).astype(float), deliver=dose > 0, dose=dose)
        return step

    on, off = (run_world(model, noise, policy(v)).site_period(scenario.outcome) for v in (level, 0.0))
    return float((on - off)[:, average_from:].mean())


def _after_baseline(site_periods: Any) -> Any:
    """Periods 1.. of a stepped wedge, with period-0 leadership engagement as a baseline covariate
    (it drives period 1's dose): the data support strategies that start at period 1."""
    base = site_periods[site_periods["period"] == 0].set_index("site")["leadership_engagement"]
    later = site_periods[site_periods["period"] > 0]
    return later.join(base.rename("leadership_baseline"), on="site")


def _sustained_stage(scenario: Any, trial: Any, *, seed: int, quick: bool) -> dict[str, Any]:
    """g-formula and naive regressions for "dose from period 1" vs "never", with the truth."""
    from dataclasses import replace

    from facmech.gmethods import gformula
    from facmech.gmethods.naive import naive_regression
    from facmech.simulation import SteppedWedge, simulate

    level = float(scenario.dose.base)
    kw = dict(site="site", period="period", treatment="facilitation",
              confounders=["leadership_engagement"], outcome=scenario.outcome,
              baseline=["leadership_baseline"], timing="after", outcome_at="mean")
    draws = 100 if quick else 500
    linear = scenario.replace(types={}, dose=replace(scenario.dose, floor=None))
    design = SteppedWedge(sites=600, steps=4, periods=5, patients=40)
    big = _after_baseline(simulate(linear, design, seed=seed, truth=False).site_periods)
    out: dict[str, Any] = {"sites": design.sites}
    out["gformula"] = gformula(big, **kw, strategies=[f"always:{level:g}", "never"],
                               inference=draws, seed=seed).contrast
    for key, adjust in (("naive", True), ("naive_unadjusted", False)):
        out[key] = naive_regression(big, **kw, level=level, adjust=adjust, inference=draws,
                                    seed=seed)
    out["truth"] = sustained_truth(linear, design, start=1, level=level, average_from=1)
    out["trial"] = gformula(_after_baseline(trial.site_periods), **kw, inference=draws, seed=seed,
                            strategies=[f"always:{level:g}", "never"]).contrast
    out["trial_truth"] = sustained_truth(scenario, trial.design, start=1, level=level,
                                         average_from=1)
    return out


def _map_check_stage(st: _Stages, mmap: Any, trial: Any, files: Mapping[str, Path]
                     ) -> dict[str, float]:
    """The map's implications on the trial's period data, without and with the staff surveys."""
    from facmech.identification import test_implications

    kw = dict(site="site", period="period", design="step")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = test_implications(mmap, trial.data, **kw)
        full = test_implications(mmap, trial.data, surveys=trial.surveys, **kw)
    total = len(plain.table) + len(plain.untestable)
    st.print(_wrap(
        f"The map unrolled over the trial's {plain.periods} periods (lag-1 arrows between them; the "
        f"stepped-wedge step as the design node pointing into facilitation) implies {total} "
        "conditional independencies among what the trial measures, one per pair of measured nodes "
        "in the same or in consecutive periods (e.g. `outer_context _||_ facilitation[t] | design, "
        "leadership_engagement[t-1]`: last period's buy-in sets this period's dose). Each is "
        "tested on the site-period means, cluster-robust by site; Holm over the family.",
        indent="  "))
    corrected = int((full.table["measurement"] == "corrected").sum())
    rel = full.reliability["mean_reliability"] if full.reliability is not None else None
    for label, res in (("trial data alone", plain), ("with the staff surveys", full)):
        rej = int(res.table["rejected"].sum())
        st.print(_wrap(
            f"{label}: {len(res.table)} tested, {rej} rejected; {len(res.untestable)} untestable"
            f" -> the map is {'FALSIFIED' if res.falsified else 'not falsified'} by these data",
            indent="  "))
    st.print(_wrap(
        f"Without the surveys, {len(plain.untestable)} claims condition on survey means (trust, "
        "normalization, ...): the survey error of a conditioning construct leaves the path "
        "through it open, so they are shown as untestable, not tested wrongly. The staff surveys "
        f"(files: {files['surveys'].name}) give each site-period mean's error variance; {corrected} "
        "claims are then tested on the measurement-corrected covariance (Fuller 1987)"
        + (f"; reliability of the survey means {rel.min():.2f}-{rel.max():.2f}." if rel is not None
           else "."), indent="  "))
    best = full.table.nsmallest(1, "p_value").iloc[0]
    st.print(_wrap(f"smallest p-value: {best['implication']} (p {best['p_value']:.3g}, Holm-"
                   f"adjusted {best['p_adjusted']:.3g})", indent="  "))
    st.print(_wrap(
        "Calibrated: on trials simulated from this map the check declares it falsified at most "
        "about 5% of the time, for every built-in scenario at 24 and 120 sites, and it detects "
        "wrong maps (simulations/mapcheck/results.md). The check before (the map's one-period "
        "implications on the rows as given) rejected the true map in about 7 of 10 such trials at "
        "120 sites.", indent="  "))
    return {"mapcheck.claims": float(total), "mapcheck.tested": float(len(plain.table)),
            "mapcheck.untestable": float(len(plain.untestable)),
            "mapcheck.falsified": float(plain.falsified),
            "mapcheck.tested_surveys": float(len(full.table)),
            "mapcheck.corrected": float(corrected),
            "mapcheck.falsified_surveys": float(full.falsified)}


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
    from facmech.formats import load_map
    from facmech.identification import identify
    from facmech.identification.measurement import Query, measurement_plan
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
    st.print(_wrap(f"{ident.query}: {'identified' if ident.identifiable else 'NOT identified'}"))
    if ident.reason:
        st.print(_wrap(f"reason: {ident.reason}", indent="  "))
    if ident.witness:
        st.print(f"  recanting witness: {ident.witness}")
    if ident.alternatives:
        st.print("  identified instead:" if any(a.identifiable for a in ident.alternatives)
                 else "  alternatives:")
        for a in ident.alternatives:
            st.print(_wrap(f"- {a.name} ({a.status})",
                           indent="    "))
    numbers["identification.identified"] = float(ident.identifiable)
    if not ident.identifiable:
        mp = measurement_plan(mmap, Query(DEMO_PATH[0], DEMO_PATH[-1], effect="path",
                                          path=DEMO_PATH))
        st.print("\nWhat must be measured:")
        for sentence in mp.advice():  # the same sentences as `facmech measure` and the report
            st.print(_wrap(sentence, indent="  "))
        numbers["identification.possible"] = float(mp.possible)
        numbers["identification.n_measure"] = float(len(mp.recommended))

    st.start("simulate", "A Zambia-like stepped-wedge trial with adaptive dose (simulated)")
    scenario = load_scenario("zambia")
    trial = simulate("zambia", seed=seed, surveys=True)
    data, truth = trial.data, dict(trial.truth)
    files["data"] = outdir / "zambia-trial.csv"
    data.to_csv(files["data"], index=False)
    files["surveys"] = outdir / "zambia-staff-surveys.csv"
    trial.surveys.to_csv(files["surveys"], index=False)
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
             f"(mediators {', '.join(truth['mediators'])}; outcome {truth['outcome']})")
    st.print(f"  {len(trial.surveys)} staff-survey responses ({scenario.staff_per_site} staff per "
             "site-period, items per construct)")
    st.print(f"  wrote {files['data']}, {files['surveys']} and {files['truth']}")
    for k in ("total", "nde", "nie"):
        numbers[f"truth.{k}"] = float(truth[k])

    st.start("mediate", "Mediated effects, clustered by site, next to the truth")
    # Natural effects through champions alone are not identified on the map (leadership engagement
    # is a recanting witness: it drives champions and reaches the outcome around them); through
    # the ordered pair (leadership engagement, champions), the scenario's default mediator set and
    # so the set of the simulator's truth, they are. Ask the map first.
    mediators = list(truth["mediators"])
    outcome = truth["outcome"]
    for meds in (["champions"], mediators):
        verdict = identify(mmap, "facilitation", outcome, effect="nie", mediators=meds)
        st.print(_wrap(f"natural indirect effect via {', '.join(meds)}: "
                       + ("identified" if verdict.identifiable else
                          f"NOT identified ({verdict.witness} is a recanting witness)"),
                       indent="  "))
    draws = 400 if quick else 2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med = mediate(data, treatment="exposed", mediators=mediators, outcome=outcome,
                      covariates=["severity"], site="site", period="period",
                      effect_model="exposure_time", inference=MonteCarlo(draws=draws), seed=seed)
    st.print(_wrap(med.method, indent="  "))
    st.print("  Effects build up with time since a site crossed over, so the model has exposure-time")
    st.print("  indicators (Kenny et al. 2022); effects are averaged over exposure times 1-4, and so")
    st.print("  is the truth (the design's own rollout vs never facilitated).")
    st.print(f"  {'effect':<26}{'estimate':>8}  {'95% interval':^18}  {'truth':>8}")
    for k in ("total", "nde", "nie"):
        st.print(_row(k, med.effects[k], truth[f"{k}_eti"]))
        numbers[f"mediation.{k}"] = med.effects[k].estimate
        numbers[f"mediation.{k}.ci_low"] = med.effects[k].ci_low
        numbers[f"mediation.{k}.ci_high"] = med.effects[k].ci_high
        numbers[f"truth.{k}_eti"] = float(truth[f"{k}_eti"])
    for m in mediators:
        st.print(_row(f"via:{m}", med.effects[f"via:{m}"], None))
    missed = [k for k in ("total", "nde", "nie")
              if not med.effects[k].ci_low <= truth[f"{k}_eti"] <= med.effects[k].ci_high]
    st.print("  One trial of 24 sites is noisy: over 150 simulated trials these intervals covered the")
    st.print("  truth 94-95% of the time" + (f" (this trial's {', '.join(missed)} missed)."
                                             if missed else "."))

    st.start("mapcheck", "Do the trial's data contradict the map? (the map check)")
    numbers.update(_map_check_stage(st, mmap, trial, files))

    st.start("gformula", "Sustained facilitation: g-formula vs truth vs naive regression")
    gres = _sustained_stage(scenario, trial, seed=seed, quick=quick)
    st.print("  Dose follows last period's leadership engagement, which earlier dose raised: a")
    st.print("  time-varying confounder affected by treatment. Strategy: 1.5 h of facilitation in")
    st.print("  every period from period 1 (no site is facilitated in the baseline period) vs none;")
    st.print("  outcome patient_outcomes averaged over periods 1-4; confounder leadership_engagement.")
    st.print(f"  {gres['sites']} sites of the Zambia-like stepped wedge, linear variant (continuous")
    st.print("  uptake, so the g-formula's linear models are correctly specified):")
    st.print(f"  {'estimator':<26}{'estimate':>8}  {'95% interval':^18}  {'truth':>8}")
    st.print(_row("g-formula (parametric)", gres["gformula"], gres["truth"]))
    st.print(_row("naive, adjusting for L", gres["naive"], gres["truth"]))
    st.print(_row("naive, not adjusting", gres["naive_unadjusted"], gres["truth"]))
    st.print(f"  In the 24-site trial the same g-formula gives {gres['trial'].estimate:.2f} "
             f"[{gres['trial'].ci_low:.2f}, {gres['trial'].ci_high:.2f}] (truth "
             f"{gres['trial_truth']:.3f}): sustained-dose effects need far more sites than the "
             "total effect.")
    numbers.update({"gformula.contrast": gres["gformula"].estimate,
                    "gformula.ci_low": gres["gformula"].ci_low,
                    "gformula.ci_high": gres["gformula"].ci_high,
                    "naive.contrast": gres["naive"].estimate,
                    "naive.ci_high": gres["naive"].ci_high,
                    "truth.sustained": gres["truth"]})

    st.start("power", "Power against the number of sites (Monte Carlo design study)")
    reps = 60 if quick else 200
    study = design_study(MapTrial("zambia"), grid={"sites": [12, 24, 36]}, reps=reps, seed=seed,
                         progress=False)
    table = study.to_frame()
    st.print(f"  {reps} simulated Zambia-like trials per number of sites: the total effect and")
    st.print("  product-of-coefficients mediation through the ordered pair (leadership_engagement,")
    st.print("  champions): `indirect` is their joint indirect effect (sum of the two products;")
    st.print("  truth: the simulator's nie), `direct` the rest (truth: its nde).")
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
                      design="stepped-wedge", sites=(12, 24, 36), data=data, site="site",
                      period="period", exposure="exposed", seed=seed,
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

