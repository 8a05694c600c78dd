"""Usage errors (argparse) are one line on stderr and exit status 2, like every FacmechError."""

from __future__ import annotations

import pytest

from facmech.cli import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["identify", "--treatment", "facilitation"], "required: --outcome"),
        (["map", "unroll", "--periods", "x"], "invalid int value: 'x'"),
        (["frob"], "invalid choice: 'frob'"),
        (["map", "unroll", "--periods", "0"], "must be an integer >= 1 (got 0)"),
    ],
)
def test_usage_errors_are_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as stop:
        code = main(argv)
        raise SystemExit(code)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err
    assert "Traceback" not in err
