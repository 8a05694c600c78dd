"""The analysis plan: from a mechanism map and a hypothesized path to a study's analysis document.

An implementation scientist's deliverable is a protocol and statistical analysis plan: which
mechanism is hypothesized, whether it is identified from the planned measurements, what to measure
and when, which estimator, how many sites, and, once data exist, the estimates. :func:`plan` runs
the library's pieces in that order and returns a :class:`PlanReport`, which renders as one
self-contained HTML page (figures embedded, no external resources) or as Markdown.

Pipeline: :func:`facmech.identification.identify` (path-specific and total effect),
:func:`~facmech.identification.path_report`, :func:`~facmech.identification.measurement_plan`,
:func:`~facmech.identification.implications`, :func:`facmech.report.power_curve.power_curve` and, with
data, :func:`facmech.mediation.mediate` (with its sensitivity analysis) and
:func:`~facmech.identification.test_implications`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from facmech._columns import ColumnMap
from facmech._deprecation import renamed
from facmech._files import write_atomic
from facmech._random import SeedLike
from facmech.design.model import TrialDesign
from facmech.errors import FacmechError
from facmech.formats import load_map
from facmech.maps import MechanismMap
from facmech.report.document import Figure, Section
from facmech.report.inputs import check_output, check_path, load_data
from facmech.report.labels import NodeNames
from facmech.report.measurement import measurement_schedule
from facmech.report.power_curve import PowerAssumptions, PowerCurve, plot_power_curve, power_curve
from facmech.report.render import render_html, render_html_fragment, render_markdown
from facmech.report.results import estimation_plan, results_section
from facmech.report.sections import (
    hypothesis_section,
    identification_section,
    implications_section,
    map_section,
    map_title,
    measurement_section,
    power_section,
    reproducibility_section,
)

__all__ = ["PlanReport", "plan"]


@dataclass(frozen=True, eq=False)
class PlanReport:
    """A finished analysis plan: its sections and the key results they were built from.

    Attributes
    ----------
    title : str
    treatment, outcome : str
    path : tuple of str
        The hypothesized path, treatment first, outcome last.
    design : TrialDesign
    identification, total : Identification
        The path-specific and the total effect's identification records.
    schedule : DataFrame
        What to measure and when (:func:`facmech.report.measurement.measurement_schedule`).
    power : PowerCurve
    estimates : MediationResult or None
        With data: the mediation analysis.
    estimator : EstimationPlan
        The recommended analysis (mediators in causal order, covariates, g-formula confounders).
    implication_tests : object or None
        With data: the tests of the map's implications.
    sections : tuple of Section
    """

    title: str
    treatment: str
    outcome: str
    path: tuple[str, ...]
    design: TrialDesign
    identification: Any
    total: Any
    schedule: pd.DataFrame = field(repr=False)
    power: PowerCurve = field(repr=False)
    sections: tuple[Section, ...] = field(repr=False)
    estimates: Any = field(default=None, repr=False)
    implication_tests: Any = field(default=None, repr=False)
    estimator: Any = field(default=None, repr=False)
    subtitle: str = ""
    footer: str = ""

    def to_html(self) -> str:
        """One self-contained HTML page (inline CSS, base64 figures)."""
        return render_html(self.title, self.sections, subtitle=self.subtitle, footer=self.footer)

    def to_markdown(self, *, figure_dir: str | os.PathLike[str] | None = None,
                    link_prefix: str = "") -> str:
        """Markdown; figures inline as data URIs, or written to ``figure_dir`` and linked."""
        fdir = None if figure_dir is None else Path(figure_dir)
        return render_markdown(self.title, self.sections, subtitle=self.subtitle,
                               footer=self.footer, figure_dir=fdir, link_prefix=link_prefix)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``.html`` (self-contained) or ``.md`` (figures in ``<stem>_figures/``)."""
        out = check_output(path)
        assert out is not None  # check_output returns a Path for a non-None argument
        try:
            if out.suffix.lower() in (".md", ".markdown"):
                fdir = out.with_name(f"{out.stem}_figures")
                fdir.mkdir(exist_ok=True)
                text = self.to_markdown(figure_dir=fdir, link_prefix=f"{fdir.name}/")
            else:
                text = self.to_html()
        except OSError as exc:
            raise FacmechError(f"`out`: cannot write {str(path)!r}: {exc.strerror or exc}") from None
        write_atomic(out, lambda p: p.write_text(text, encoding="utf-8"), argument="out")
        return out

    def summary(self) -> str:
        """A few lines: the verdicts, the sites needed, and the estimates when data were given."""
        ident = self.identification
        lines = [
            self.title,
            f"  path: {' -> '.join(self.path)}",
            f"  path-specific effect: {'identified' if ident.identifiable else 'NOT identified'}"
            + (f" ({ident.strategy})" if ident.strategy else ""),
            f"  total effect: {'identified' if self.total.identifiable else 'NOT identified'}"
            + (f" ({self.total.strategy})" if self.total.strategy else ""),
        ]
        for est in ("path", "total"):
            n = self.power.sites_for(est)
            lines.append(f"  sites for 80% power ({est}): {n if n else 'more than considered'}")
        lines.append("  power assumptions: " + describe_assumptions(self.power.assumptions,
                                                                   self.design))
        lines.append("    (options: " + " ".join(o for _, o in ASSUMPTION_OPTIONS) + ")")
        if self.estimates is not None:
            names = ["total", "nde", "nie"]
            if self.estimator is not None:
                names.append(self.estimator.available(self.estimates.mediators).chain_key)
            for name in (n for n in names if n in self.estimates.effects):
                e = self.estimates.effects[name]
                ci = "" if e.ci_low is None else f" [{e.ci_low:.3f}, {e.ci_high:.3f}]"
                lines.append(f"  {name}: {e.estimate:.3f}{ci}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready key results: verdicts, schedule, power by sites, estimates if any."""
        out: dict[str, Any] = {
            "title": self.title,
            "treatment": self.treatment,
            "outcome": self.outcome,
            "path": list(self.path),
            "design": self.design.value,
            "identification": self.identification.to_dict(),
            "total": self.total.to_dict(),
            "measure": self.schedule.to_dict(orient="records"),
            "power": self.power.frame.to_dict(orient="records"),
            "sites_for_80": {e: self.power.sites_for(e) for e in ("path", "total")},
            "assumptions": self.power.assumptions.to_dict(),
            "estimates": None,
        }
        if self.estimates is not None:
            out["estimates"] = {k: e.to_dict() for k, e in self.estimates.effects.items()}
        return out

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """The report for a notebook cell, with its stylesheet scoped to the report."""
        return render_html_fragment(self.title, self.sections, subtitle=self.subtitle,
                                    footer=self.footer)


#: ``facmech plan`` options of the power assumptions, in the order they are printed.
ASSUMPTION_OPTIONS = (("first_link", "--first-link"), ("rest_of_path", "--rest-of-path"),
                      ("other_routes", "--other-routes"), ("icc", "--icc"),
                      ("patients", "--patients"), ("steps", "--steps"), ("alpha", "--alpha"),
                      ("reps", "--reps"))


def describe_assumptions(a: PowerAssumptions, design: TrialDesign) -> str:
    """The power assumptions in one line (the options that change them follow on the CLI).

    >>> print(describe_assumptions(PowerAssumptions(), TrialDesign.STEPPED_WEDGE)[:93])
    path 0.15 SD (first link 0.6 x rest of path 0.25), total 0.3 SD (other routes 0.15); ICC 0.15
    """
    steps = f"; {a.steps} steps" if design is TrialDesign.STEPPED_WEDGE else ""
    return (f"path {a.path_effect:.3g} SD (first link {a.first_link:g} x rest of path "
            f"{a.rest_of_path:g}), total {a.total_effect:.3g} SD (other routes "
            f"{a.other_routes:g}); ICC {a.icc:g}; {a.patients} patients per site-period{steps}; "
            f"alpha {a.alpha:g}; {a.reps} simulated trials per site count")


def _concrete_seed(seed: SeedLike) -> SeedLike:
    """An integer seed for ``None`` (drawn once, then used and printed), so that the report's
    reproduce command holds the seed actually used; integers and Generators pass through."""
    if seed is None:
        import numpy as np

        return int(np.random.SeedSequence().generate_state(1)[0])
    return seed


def _shell(value: Any) -> str:
    import shlex

    return shlex.quote(str(value))


def reproduce_command(
    *, map_arg: Any, treatment: str, outcome: str, path: Sequence[str], design: TrialDesign,
    sites: Sequence[int], data: Any, site: str | None, period: str | None,
    exposure: str | None, columns: Mapping[str, str], seed: SeedLike,
    assumptions: PowerAssumptions, out: Any,
) -> str:
    """The ``facmech plan`` command line that rebuilds the report: every option and the seed used.

    Data or a map passed as Python objects have no file name: the command then says which file to
    write them to (``DATA.csv``, ``MAP.yaml``); a ``numpy`` Generator as seed cannot be written
    and is flagged.

    >>> cmd = reproduce_command(map_arg="facilitation", treatment="facilitation",
    ...       outcome="uptake", path=("facilitation", "trust", "uptake"),
    ...       design=TrialDesign.PARALLEL, sites=(12,), data=None, site=None, period=None,
    ...       exposure=None, columns={}, seed=3, assumptions=PowerAssumptions(), out=None)
    >>> [line.rstrip(" " + chr(92)).strip() for line in cmd.splitlines()[-3:]]
    ['--reps 200', '--seed 3', '--out report.html']
    """
    notes: list[str] = []
    parts = ["facmech plan"]
    if isinstance(map_arg, (str, os.PathLike)):
        if str(map_arg) != "facilitation":
            parts.append(f"--map {_shell(map_arg)}")
    else:
        parts.append("--map MAP.yaml")
        notes.append("# the map was passed as an object: save it first, e.g. "
                     "open('MAP.yaml', 'w').write(facmech.formats.dump_yaml(m))")
    parts += [f"--treatment {_shell(treatment)}", f"--outcome {_shell(outcome)}",
              f"--path {_shell(','.join(path))}", f"--design {design.value}",
              f"--sites {','.join(map(str, sites))}"]
    if data is not None:
        if isinstance(data, (str, os.PathLike)):
            parts.append(f"--data {_shell(data)}")
        else:
            parts.append("--data DATA.csv")
            notes.append("# the data were passed as a DataFrame: save them first, e.g. "
                         "data.to_csv('DATA.csv', index=False)")
        parts.append(f"--site {_shell(site)}")
        if period:
            parts.append(f"--period {_shell(period)}")
        if exposure:
            parts.append(f"--exposure {_shell(exposure)}")
        parts += [f"--column {_shell(f'{n}={c}')}" for n, c in columns.items()]
    for field_name, option in ASSUMPTION_OPTIONS:
        parts.append(f"{option} {getattr(assumptions, field_name)!r}")
    import numpy as np

    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        parts.append(f"--seed {int(seed)}")
    else:
        notes.append(f"# the seed was a {type(seed).__name__}, which a command line cannot "
                     "carry: pass an integer seed to make the report reproducible")
    parts.append(f"--out {_shell(out) if out is not None else 'report.html'}")
    return "\n".join([*notes, " \\\n    ".join(parts)])


def _identify(mmap: MechanismMap, treatment: str, outcome: str, path: tuple[str, ...]):
    from facmech.identification import identify
    from facmech.identification.measurement import Query, measurement_plan
    from facmech.identification.report import path_report

    path_id = identify(mmap, treatment, outcome, effect="path", path=list(path))
    total_id = identify(mmap, treatment, outcome, effect="total")
    frame = path_report(mmap, treatment, outcome).to_frame()
    paths = frame[frame["kind"] != "total"][["kind", "query", "identifiable", "strategy", "witness"]]
    to_measure: tuple[str, ...] = ()
    note: tuple[str, ...] = ()
    if not path_id.identifiable:
        # what to measure: the measurement plan's own words (one source of truth with the CLI's
        # `facmech measure` and the demo)
        mp = measurement_plan(mmap, Query(treatment, outcome, effect="path", path=tuple(path)))
        to_measure = mp.recommended
        note = mp.advice(named=False)  # the report names nodes by label
    return path_id, total_id, paths, to_measure, note, _implications(mmap)


def _through(names: NodeNames, mechanisms: Sequence[str]) -> str:
    """The mechanisms of a title: all of them up to three, else the first and last."""
    if not mechanisms:
        return "a direct arrow"
    if len(mechanisms) <= 3:
        return names.chain(mechanisms)
    return (f"{names.name(mechanisms[0])} → … → {names.name(mechanisms[-1])} "
            f"({len(mechanisms)} mechanisms)")


def _implications(mmap: MechanismMap) -> list[str]:
    from facmech.identification.implications import implications

    return [str(i) for i in implications(mmap)]


def _map_figure(mmap: MechanismMap, path: tuple[str, ...]) -> Figure:
    from facmech.plotting import plot_map

    fig = plot_map(mmap, highlight=list(path), waypoints=True)
    fig = getattr(fig, "figure", fig)
    w, h = fig.get_size_inches()
    return Figure.from_matplotlib(
        fig, caption=f"The mechanism map; highlighted: {NodeNames(mmap).chain(path)}. Dashed boxes are "
        "constructs the trial does not measure; line style shows the map's confidence in an arrow.",
        alt="mechanism map with the hypothesized path highlighted", dpi=150,
        wide=w > 1.3 * h)  # a map drawn left to right may use the page's width


@renamed(cluster="site", time="period")
def plan(
    map: MechanismMap | str | os.PathLike[str] = "facilitation",
    *,
    treatment: str | None = None,
    outcome: str | None = None,
    path: Sequence[str] | str,
    design: TrialDesign | str | None = None,
    sites: Sequence[int] = (12, 24, 36),
    data: pd.DataFrame | str | os.PathLike[str] | None = None,
    site: str | None = None,
    period: str | None = None,
    exposure: str | None = None,
    out: str | os.PathLike[str] | None = None,
    seed: SeedLike = 20231127,
    assumptions: PowerAssumptions | None = None,
    title: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> PlanReport:
    """Build the analysis plan for a hypothesized mechanism path.

    Parameters
    ----------
    map : MechanismMap, str or path, default "facilitation"
        The mechanism map (built-in name, YAML/dagitty/DOT file, or a map).
    treatment, outcome : str, optional
        Map node ids of the strategy and the outcome (default: the ends of ``path``).
    path : sequence of str or str
        The hypothesized path (``"a,b,c"`` or ``"a>b>c"`` accepted): a directed path, or waypoints
        (consecutive nodes not adjacent: every directed path through them in order); the treatment
        and the outcome are added at the ends when omitted.
    design : {"stepped-wedge", "parallel"}, optional
        Randomization design (default stepped wedge).
    sites : sequence of int, default (12, 24, 36)
        Numbers of sites for the power curve.
    data : DataFrame or path to .csv/.parquet, optional
        Trial data (one row per patient, site-level columns repeated); adds estimates, sensitivity
        analysis and tests of the map's implications. Never modified.
    site, period : str, optional
        Site and period columns of ``data`` (``site`` is required with data; formerly
        ``cluster`` and ``time``, deprecated aliases for one release).
    exposure : str, optional
        Column of ``data`` holding the two-valued randomized assignment when the treatment's own
        column is a dose (simulated trials: ``"exposed"``). Default: the treatment's column.
    out : path, optional
        Write the report there (``.html`` or ``.md``); checked before any work is done.
    seed : int, Generator or None
        Seed of every random step (Monte Carlo power, resampling inference).
    assumptions : PowerAssumptions, optional
        Effect sizes and trial dimensions of the power curve.
    title : str, optional
        Report title.
    columns : mapping of node to column, optional
        Data columns holding map nodes under other names (``{"facilitation": "arm"}``; CLI
        ``--column facilitation=arm``). ``cluster``, ``time`` and ``exposure`` may name either.

    Returns
    -------
    PlanReport

    Raises
    ------
    UnknownNodeError, MapError
        A node or the path is not in the map.
    DataError
        ``data`` lacks columns the plan needs (all are listed) or is unreadable.
    FacmechError
        ``out`` cannot be written.
    """
    out_path = check_output(out, inputs={"map": map, "data": data})
    mmap = load_map(map)
    chain = check_path(mmap, path, treatment=treatment, outcome=outcome)
    treatment, outcome = chain[0], chain[-1]
    d = TrialDesign.parse(design if design is not None else TrialDesign.STEPPED_WEDGE)
    df = load_data(data)
    if df is not None and site is None:
        raise FacmechError("`site` is required with `data`: name the site column (e.g. 'site')")
    cols = ColumnMap.build(columns, df)
    if df is not None and cols:
        df = cols.rename(df)
        site, period, exposure = cols.node(site), cols.node(period), cols.node(exposure)
    seed = _concrete_seed(seed)
    assumptions = assumptions if assumptions is not None else PowerAssumptions()

    path_id, total_id, paths, to_measure, note, imps = _identify(mmap, treatment, outcome, chain)
    adjustment = total_id.adjustment_sets[0] if total_id.adjustment_sets else ()
    schedule = measurement_schedule(mmap, path=chain, adjustment=adjustment, to_measure=to_measure,
                                    periodic=d is TrialDesign.STEPPED_WEDGE)
    est_plan = estimation_plan(mmap, chain, design=d, site=site or "site",
                               period=period or ("period" if d is TrialDesign.STEPPED_WEDGE
                                                 else None),
                               adjustment=adjustment, path_id=path_id, exposure=exposure,
                               to_measure=to_measure)
    curve = power_curve(sites=sites, design=d, assumptions=assumptions, seed=seed)
    power_fig = Figure.from_matplotlib(
        plot_power_curve(curve), caption="Power against the number of sites, for the hypothesized "
        "path and for the total effect.", alt="power curves")

    names = NodeNames(mmap)
    sections = [
        hypothesis_section(mmap, chain, design=d.value, sites=curve.frame["sites"].unique()),
        map_section(mmap, _map_figure(mmap, chain), chain),
        identification_section(path_id, total_id, paths, names=names),
        measurement_section(schedule, note, names=names),
        implications_section(imps, focus=chain),
        est_plan.section(),
        power_section(curve, power_fig),
    ]
    estimates = tests = None
    if df is not None:
        estimates, tests, section = results_section(
            df, mmap, est_plan, site=site, period=period, seed=seed)
        sections.append(section)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from facmech import __version__

    sections.append(reproducibility_section([
        f"facmech {__version__}; pandas {pd.__version__}; created {stamp}",
        reproduce_command(
            map_arg=map, treatment=treatment, outcome=outcome, path=chain, design=d,
            sites=tuple(int(s) for s in curve.frame["sites"].unique()), data=data,
            site=site, period=period, exposure=exposure, columns=cols.to_dict(), seed=seed,
            assumptions=curve.assumptions, out=out_path),
    ]))
    report = PlanReport(
        title=title or f"Analysis plan: does {names.name(treatment)} change "
        f"{names.name(outcome)} through {_through(names, chain[1:-1])}?",
        treatment=treatment, outcome=outcome, path=chain, design=d, identification=path_id,
        total=total_id, schedule=schedule, power=curve, sections=tuple(sections),
        estimates=estimates, implication_tests=tests, estimator=est_plan,
        subtitle=f"Map: {map_title(mmap)}. Design: {d.value} trial. Generated by facmech "
        f"{__version__}.",
        footer="Produced by facmech (mechanism maps, identification, mediation and design studies "
        "for implementation trials). Effect sizes in the power section are assumptions, not findings.",
    )
    if out_path is not None:
        report.save(out_path)
    return report
