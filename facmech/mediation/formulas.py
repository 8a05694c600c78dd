"""Model formulas of a mediation analysis: built from the call, or given by the user and checked.

A mediation analysis has one model per mediator (in causal order) and one for the outcome. Without
formulas facmech builds them from the call, in the patsy syntax statsmodels uses:

- mediator :math:`M_j`: ``M_j ~ A + M_1 + ... + M_{j-1} [+ A:M_l] + covariates [+ C(period)]``,
- outcome: ``Y ~ A + M_1 + ... + M_k [+ A:M_j] + covariates [+ C(period)]``,

with ``C(x)`` for string or categorical covariates (treatment coding with the first sorted level as
reference, the same columns as facmech's dummies) and, under the exposure-time effect model,
``C(<exposure>)`` (one indicator per exposure time, reference 0) in place of ``A``. User formulas
are parsed with patsy and checked at the boundary: every variable must name a column, the
treatment must appear in every model, every mediator in the outcome model, no mediator in the
model of an earlier one.

>>> default_formulas(treatment="facilitation", mediators=["trust"], outcome="uptake",
...                  covariates=["readiness"], categorical=(), time="period")["uptake"]
'uptake ~ facilitation + trust + readiness + C(period)'
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence

import pandas as pd
import patsy

from facmech.errors import ArgumentError, DataError, closest

__all__ = [
    "FormulaTerms",
    "categorical_columns",
    "check_model",
    "default_formulas",
    "parse_formula",
    "quote",
]

# Callables and modules a patsy formula may use besides column names.
_KNOWN = {"C", "Q", "I", "np", "numpy", "Treatment", "Sum", "Diff", "Helmert", "Poly", "center",
          "standardize", "scale", "bs", "cr", "cc", "te", "log", "exp", "sqrt"}


def quote(column: str) -> str:
    """The column as a patsy term: its name, or ``Q("...")`` when it is not an identifier.

    >>> quote("trust"), quote("site size")
    ('trust', 'Q("site size")')
    """
    return column if column.isidentifier() else f'Q("{column}")'


def default_formulas(
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str],
    categorical: Sequence[str],
    time: str | None = None,
    interaction: bool = False,
    exposure: str | None = None,
) -> dict[str, str]:
    """The formula of every model facmech fits for a call, keyed by the modelled column.

    ``categorical`` lists the covariates entered as ``C(...)``; ``exposure`` the exposure-time
    column replacing the treatment's main effect (treatment-by-mediator terms keep ``A``).
    """
    a = quote(treatment)
    main = f"C({quote(exposure)})" if exposure is not None else a
    cat = set(categorical)
    shared = [f"C({quote(c)})" if c in cat else quote(c) for c in covariates]
    if time is not None:
        shared.append(f"C({quote(time)})")
    out = {}
    for j, name in enumerate([*mediators, outcome]):
        prior = [quote(m) for m in mediators[:j]]
        terms = [main, *prior]
        if interaction:
            terms += [f"{a}:{m}" for m in prior]
        out[name] = f"{quote(name)} ~ " + " + ".join([*terms, *shared])
    return out


class FormulaTerms:
    """The variables a parsed formula uses: ``response``, ``variables`` (every column named on the
    right-hand side), ``main`` (columns entering as a plain main-effect term), ``pairs`` (two-way
    products of plain columns, as frozensets) and ``intercept``."""

    def __init__(self, formula: str, response: str, variables: set[str], main: set[str],
                 pairs: set[frozenset[str]], others: list[tuple[str, set[str]]],
                 intercept: bool) -> None:
        self.formula = formula
        self.response = response
        self.variables = variables
        self.main = main
        self.pairs = pairs
        self.others = others  # (term name, variables) of every other term
        self.intercept = intercept


def _names(code: str, argument: str, formula: str) -> set[str]:
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError as exc:
        raise ArgumentError(f"`{argument}`: cannot parse term {code!r} of {formula!r}") from exc
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    bases = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q":
            out.update(a.value for a in node.args if isinstance(a, ast.Constant))
        elif isinstance(node, ast.Name) and id(node) not in called and id(node) not in bases \
                and node.id not in _KNOWN and not hasattr(builtins, node.id):
            out.add(node.id)
    return out


def _plain(code: str) -> str | None:
    """The column a factor code names directly (``trust`` or ``Q("a b")``), else None."""
    if code.isidentifier():
        return code
    tree = ast.parse(code, mode="eval").body
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "Q" \
            and len(tree.args) == 1 and isinstance(tree.args[0], ast.Constant):
        return str(tree.args[0].value)
    return None


def parse_formula(formula: object, *, argument: str, columns: Sequence[str]) -> FormulaTerms:
    """Parse a patsy formula and check that every variable names one of ``columns``.

    >>> t = parse_formula("y ~ a * m + C(g)", argument="outcome_formula",
    ...                   columns=["y", "a", "m", "g"])
    >>> t.response, sorted(t.main), [sorted(p) for p in t.pairs]
    ('y', ['a', 'm'], [['a', 'm']])
    >>> parse_formula("y ~ a + trst", argument="outcome_formula",
    ...               columns=["y", "a", "trust"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    facmech.errors.DataError: `outcome_formula` 'y ~ a + trst' names 'trst', ... 'trust'?
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ArgumentError(
            f"`{argument}` must be a formula string like 'y ~ a + m' (got {formula!r})"
        )
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as exc:
        raise ArgumentError(f"`{argument}`: cannot parse {formula!r} ({exc})") from exc
    cols = set(columns)

    def check(names: set[str]) -> set[str]:
        for nm in sorted(names):
            if nm not in cols:
                raise DataError(
                    f"`{argument}` {formula!r} names {nm!r}, which is not a column of `data`."
                    + closest(nm, list(columns))
                )
        return names

    lhs = [f.code for t in desc.lhs_termlist for f in t.factors]
    resp = _plain(lhs[0]) if len(lhs) == 1 else None
    if resp is None:
        raise ArgumentError(
            f"`{argument}` {formula!r} must have one column on the left of '~' (got "
            f"{' + '.join(lhs) or 'nothing'})"
        )
    check({resp})
    variables: set[str] = set()
    main: set[str] = set()
    pairs: set[frozenset[str]] = set()
    others: list[tuple[str, set[str]]] = []
    intercept = False
    for term in desc.rhs_termlist:
        if not term.factors:
            intercept = True
            continue
        codes = [f.code for f in term.factors]
        names = set().union(*(check(_names(c, argument, formula)) for c in codes))
        variables |= names
        plain = [_plain(c) for c in codes]
        if len(codes) == 1 and plain[0] is not None:
            main.add(plain[0])
        elif len(codes) == 2 and None not in plain:
            pairs.add(frozenset(plain))  # type: ignore[arg-type]
        else:
            others.append((term.name(), names))
    return FormulaTerms(formula, resp, variables, main, pairs, others, intercept)


def check_model(
    terms: FormulaTerms,
    *,
    argument: str,
    name: str,
    treatment: str,
    earlier: Sequence[str],
    later: Sequence[str],
    required: Sequence[str] = (),
) -> bool:
    """Check one model's roles; return whether it has a treatment-by-mediator term.

    The model must model ``name`` with an intercept and the treatment as a main term; it may use
    the ``earlier`` mediators (``required`` ones as main terms: every mediator in the outcome
    model), none of the ``later`` ones (causal order), and the treatment and mediators only as
    main terms and treatment-by-mediator products (what the closed-form mediation formula covers).
    """
    t = terms
    where = f"`{argument}` {t.formula!r}"
    if t.response != name:
        raise DataError(f"{where} models {t.response!r}; expected {name!r}")
    if not t.intercept:
        raise DataError(f"{where} has no intercept; facmech's models need one (drop '- 1')")
    if treatment not in t.main:
        raise DataError(
            f"{where} does not contain the treatment {treatment!r} as a term; the treatment "
            "must enter every mediator and outcome model"
        )
    bad = [m for m in later if m in t.variables]
    if bad:
        raise DataError(
            f"{where} uses {bad[0]!r}, a mediator that does not come before {name!r} in the "
            "causal order of `mediators`"
        )
    missing = [m for m in required if m not in t.main]
    if missing:
        raise DataError(
            f"{where} does not contain mediator {missing[0]!r} as a term; every mediator "
            "must enter the outcome model"
        )
    roles = {treatment, *earlier}
    interaction = False
    for pair in t.pairs:
        if treatment in pair and pair & set(earlier):
            interaction = True
        elif pair & roles:
            raise DataError(
                f"{where} has the term {':'.join(sorted(pair))}; the treatment and mediators "
                "may enter only as main terms and treatment-by-mediator products"
            )
    for term, vs in t.others:
        if vs & roles:
            raise DataError(
                f"{where} has the term {term!r}; the treatment and mediators may enter only "
                "as plain main terms and treatment-by-mediator products"
            )
    return interaction


def categorical_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Columns of ``frame`` that facmech expands into dummies (not numeric, not boolean)."""
    return [c for c in columns if not (pd.api.types.is_bool_dtype(frame[c])
                                       or pd.api.types.is_numeric_dtype(frame[c]))]
