"""test_implications(site=): `cluster` is a deprecated alias for one release (API and CLI)."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech.cli import main
from facmech.errors import ArgumentError
from facmech.identification.implications import test_implications


@pytest.fixture(scope="module")
def chain_data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(400)
    m = x + rng.standard_normal(400)
    y = m + rng.standard_normal(400)
    return pd.DataFrame({"site": np.repeat(np.arange(40), 10), "x": x, "m": m, "y": y})


def test_cluster_alias(chain_data):
    g = nx.DiGraph([("x", "m"), ("m", "y")])
    new = test_implications(g, chain_data, site="site")
    with pytest.warns(FutureWarning, match="`cluster` is deprecated .* use `site` instead"):
        old = test_implications(g, chain_data, cluster="site")
    assert old.to_frame().equals(new.to_frame()) and new.site == "site"
    assert "cluster-robust by site" in new.summary()
    with pytest.warns(FutureWarning, match="use `site` instead"):
        assert new.cluster == "site"
    d = new.to_dict()
    assert d["site"] == d["cluster"] == "site"
    with pytest.raises(ArgumentError, match="give `site` only"):
        test_implications(g, chain_data, site="site", cluster="site")


def test_cli_cluster_flag(chain_data, tmp_path, capsys):
    f = tmp_path / "m.dagitty"
    f.write_text("dag { x -> m -> y }")
    data = tmp_path / "d.csv"
    chain_data.to_csv(data, index=False)
    args = ["implications", "--map", str(f), "--data", str(data), "--json"]
    assert main([*args, "--cluster", "site"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["site"] == "site"
    assert "`--cluster` is deprecated" in out.err and "use `--site` instead" in out.err
