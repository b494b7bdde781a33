"""File readers of analytics.economics.io."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.economics.io import read_customers, read_transactions


def test_read_csv_and_parquet(tmp_path: Path) -> None:
    cust = pd.DataFrame({"customer": ["c1", "c2", "c3"], "since": ["1970-01-02", "1970-01-11", "1970-01-01"],
                         "churned_on": ["", "1970-01-21", ""], "revenue": [10.0, 20, 30], "region": ["s", "n", "s"]})
    tx = pd.DataFrame({"customer": ["c2", "c1", "c2"], "date": ["1970-01-12", "1970-01-03", "1970-01-15"],
                       "amount": [1.5, 2, 3]})
    cust.to_csv(tmp_path / "c.csv", index=False)
    tx.to_csv(tmp_path / "t.csv", index=False)
    c = read_customers(tmp_path / "c.csv")
    assert c.since.tolist() == [1, 10, 0] and np.isnan(c.until[0]) and c.until[1] == 20
    assert c.segments["region"].labels == ("n", "s") and c.segments["region"].codes.tolist() == [1, 0, 1]
    t = read_transactions(tmp_path / "t.csv", c)
    assert t.customer.tolist() == [1, 0, 1] and t.date.tolist() == [11, 2, 14]
    cust.assign(churned_on=pd.to_datetime(cust["churned_on"]), since=pd.to_datetime(cust["since"])).to_parquet(
        tmp_path / "c.parquet")
    c2 = read_customers(tmp_path / "c.parquet")
    assert c2.since.tolist() == c.since.tolist() and np.array_equal(c2.until, c.until, equal_nan=True)
    bad = tx.assign(customer=["c2", "zz", "c1"])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="zz"):
        read_transactions(tmp_path / "bad.csv", c)
    with pytest.raises(ValueError, match="missing columns"):
        read_customers(tmp_path / "t.csv")
