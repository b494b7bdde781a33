"""Economics at scale: RFM and CLV by segment from files, and the churn model, against plain pandas.

    PYTHONPATH=$PWD python -m bench.economics [--customers 1000000] [--transactions 10000000] [--format parquet]
                                             [--cox] [--repeat 2]

Generates a seeded customer base (string keys, two segment columns, dates, revenue, cost to serve, a
satisfaction index, loyalty zone and complaint outcome with a known effect on churn) and its transactions into a
temporary directory, then times in the same run:

* ours:   `read_customers` + `read_transactions` (pyarrow) + `rfm` + `clv_by_segment` (numpy, no per-customer
          loop); the churn model `churn_model` (statsmodels Logit on arrays; Cox PHReg timed too);
* pandas: `pd.read_parquet`/`read_csv` + groupby/rank/merge for the same figures; `smf.logit` with a formula.

File timings are the best of ``--repeat`` runs (wall and CPU seconds); wall time rises with the machine's
load, which is printed. Both must give the same numbers (scores equal, money to 1e-6 relative).
Targets (issue 14): RFM + CLV by segment <= 5 s including the file read, the churn model <= 10 s, at 10^6
customers and 10^7 transactions.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from analytics.economics.behaviour import churn_model, zone_codes
from analytics.economics.clv import clv_by_segment
from analytics.economics.io import read_customers, read_transactions
from analytics.economics.rfm import RFM_SEGMENTS, rfm
from analytics.economics.tables import Factor

AS_OF = 19_723.0  # 2024-01-01
PERIOD = 365.0
DISCOUNT = 0.1
TIERS = ("bronze", "silver", "gold")
COMPLAINT = ("none", "resolved", "unresolved")
TRUE_LOG_OR_INDEX = -0.4  # per 10 index points, on the yearly hazard scale


def generate(n: int, m: int, seed: int = 2024) -> tuple[pa.Table, pa.Table, pd.DataFrame]:
    """Customers (arrow), transactions (arrow, dictionary-coded keys) and the respondent frame (pandas)."""
    rng = np.random.default_rng(seed)
    keys = pa.array([f"C{i:07d}" for i in range(n)])
    since = rng.integers(16_000, 19_500, n).astype(np.float64)
    tier = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    index = np.clip(rng.normal(70, 15, n), 0, 100)
    complaint = rng.choice(3, n, p=[0.8, 0.12, 0.08])
    hazard = 0.15 * np.exp(TRUE_LOG_OR_INDEX * (index - 70) / 10) * np.array([1.0, 1.2, 2.5])[complaint]
    life = rng.exponential(PERIOD / hazard)
    churned = since + life <= AS_OF
    until = np.where(churned, np.floor(since + life), np.nan)
    revenue = np.round(rng.gamma(2.0, 500.0, n) * np.array([1.0, 2.0, 5.0])[tier], 2)
    days = pa.array(since.astype(np.int32), pa.date32())
    cust = pa.table({
        "customer": keys, "since": days,
        "until": pa.array(np.nan_to_num(until, nan=0).astype(np.int32), pa.date32(), mask=~churned),
        "revenue": revenue, "cost_to_serve": np.round(0.6 * revenue, 2),
        "tier": pa.array(np.array(TIERS, dtype=object)[tier]),
        "region": pa.array(np.array(list("NSEWC"), dtype=object)[rng.integers(0, 5, n)]),
    })
    who = rng.choice(n, m, p=revenue / revenue.sum())
    end = np.where(churned, until, AS_OF)[who]
    date = np.floor(since[who] + rng.random(m) * (end - since[who])).astype(np.int32)
    tx = pa.table({"customer": pa.DictionaryArray.from_arrays(pa.array(who.astype(np.int32)), keys).cast(pa.string()),
                   "date": pa.array(date, pa.date32()), "amount": np.round(rng.gamma(2.0, 40.0, m), 2)})
    resp = pd.DataFrame({"churned": churned, "index": index, "complaint": np.array(COMPLAINT)[complaint],
                         "tenure": (np.where(churned, until, AS_OF) - since) / PERIOD})
    return cust, tx, resp


def write(cust: pa.Table, tx: pa.Table, folder: Path, fmt: str) -> tuple[Path, Path]:
    if fmt == "parquet":
        pq.write_table(cust, folder / "customers.parquet")
        pq.write_table(tx, folder / "transactions.parquet")
        return folder / "customers.parquet", folder / "transactions.parquet"
    pcsv.write_csv(cust, folder / "customers.csv")
    pcsv.write_csv(tx, folder / "transactions.csv")
    return folder / "customers.csv", folder / "transactions.csv"


def ours(cpath: Path, tpath: Path) -> dict[str, object]:
    c = read_customers(cpath)
    t = read_transactions(tpath, c)
    r = rfm(t, AS_OF)
    clv = clv_by_segment(c, c.segment("tier"), AS_OF, PERIOD, DISCOUNT)
    return {"keys": c.customer, "r": r.r, "f": r.f, "m": r.m,
            "seg_revenue": {row.segment: row.revenue for row in r.rows if row.customers},
            "clv": {row.segment: (row.active, row.retention, row.margin, row.clv_simple, row.clv_survival)
                    for row in clv.rows}, "horizon": clv.horizon}


def plain_pandas(cpath: Path, tpath: Path, horizon: int) -> dict[str, object]:
    """The same figures with pandas groupby, as an analyst would write them."""
    if cpath.suffix == ".parquet":
        c, t = pd.read_parquet(cpath), pd.read_parquet(tpath)
    else:
        c = pd.read_csv(cpath, parse_dates=["since", "until"])
        t = pd.read_csv(tpath, parse_dates=["date"])
    epoch = pd.Timestamp("1970-01-01")
    for col in ("since", "until"):
        c[col] = (pd.to_datetime(c[col]) - epoch).dt.days.astype("float64")
    t["date"] = (pd.to_datetime(t["date"]) - epoch).dt.days.astype("float64")
    t["ci"] = pd.Categorical(t["customer"].astype(str), categories=c["customer"]).codes
    g = t[t["date"] <= AS_OF].groupby("ci").agg(last=("date", "max"), f=("date", "size"), m=("amount", "sum"))
    nb = len(g)
    scores = pd.DataFrame(index=g.index)
    for k, col in (("r", "last"), ("f", "f"), ("m", "m")):
        x = g[col].round(6) if col == "m" else g[col]
        scores[k] = ((x.rank(method="first") - 1) * 5 // nb + 1).astype(int)
    full = scores.reindex(range(len(c)), fill_value=0)
    names = {}
    for r in range(1, 6):
        for f in range(1, 6):
            names[r * 10 + f] = ("champions" if f >= 4 else "potential" if f >= 2 else "new") if r >= 4 else (
                "loyal" if f >= 4 else "need attention") if r == 3 else (
                "at risk" if f >= 3 else "hibernating" if r == 2 else "lost")
    seg = (full["r"] * 10 + full["f"]).map(names).fillna("no purchases")
    seg_revenue = g["m"].reindex(range(len(c)), fill_value=0.0).groupby(seg.to_numpy()).sum().to_dict()
    # CLV by tier
    c = c[c["since"] <= AS_OF].copy()
    c["churned"] = c["until"] <= AS_OF
    c["active"] = ~c["churned"]
    c["margin"] = c["revenue"] - c["cost_to_serve"]
    start = AS_OF - PERIOD
    c["risk"] = (c["since"] <= start) & ~(c["until"] <= start)
    c["died"] = c["risk"] & (c["until"] <= AS_OF)
    agg = c.groupby("tier").agg(active=("active", "sum"), risk=("risk", "sum"), died=("died", "sum"))
    agg["margin"] = c[c["active"]].groupby("tier")["margin"].mean()
    agg["r"] = 1 - agg["died"] / agg["risk"]
    agg["clv"] = agg["margin"] * agg["r"] / (1 + DISCOUNT - agg["r"])
    c["tenure"] = (np.where(c["churned"], c["until"], AS_OF) - c["since"]) / PERIOD
    ev = c.groupby(["tier", "tenure"]).agg(d=("churned", "sum"), n=("churned", "size")).reset_index()
    ev["at_risk"] = ev.groupby("tier")["n"].transform(lambda s: s[::-1].cumsum()[::-1])
    ev = ev[ev["d"] > 0].copy()
    ev["S"] = (1 - ev["d"] / ev["at_risk"]).groupby(ev["tier"]).cumprod()
    ts = np.arange(1, horizon + 1)
    disc = (1 + DISCOUNT) ** -ts
    clv_s = {}
    for tier, e in ev.groupby("tier"):
        i = np.searchsorted(e["tenure"].to_numpy(), ts, side="right") - 1
        s = np.where(i >= 0, e["S"].to_numpy()[np.maximum(i, 0)], 1.0)
        clv_s[tier] = agg.loc[tier, "margin"] * float(np.sum(s * disc))
    clv = {k: (int(a["active"]), float(a["r"]), float(a["margin"]), float(a["clv"]), clv_s[k])
           for k, a in agg.iterrows()}
    return {"r": full["r"].to_numpy(), "f": full["f"].to_numpy(), "m": full["m"].to_numpy(),
            "seg_revenue": seg_revenue, "clv": clv}


def same(a: dict[str, object], b: dict[str, object]) -> list[str]:
    bad = [k for k in ("r", "f", "m") if not np.array_equal(np.asarray(a[k], dtype=int), np.asarray(b[k], int))]
    sa, sb = a["seg_revenue"], b["seg_revenue"]
    assert isinstance(sa, dict) and isinstance(sb, dict)
    if set(sa) != set(sb) or any(not np.isclose(sa[k], sb[k], rtol=1e-9) for k in sa):
        bad.append("segment revenue")
    ca, cb = a["clv"], b["clv"]
    assert isinstance(ca, dict) and isinstance(cb, dict)
    if set(ca) != set(cb) or any(not np.allclose(ca[k], cb[k], rtol=1e-6) for k in ca):
        bad.append("CLV by segment")
    return bad


def timed(f, *args, **kw):  # type: ignore[no-untyped-def]
    """(result, wall seconds); the CPU seconds of the last call are kept in ``timed.cpu``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = f(*args, **kw)
    timed.cpu = time.process_time() - c0  # type: ignore[attr-defined]
    return out, time.perf_counter() - t0


def verdict(seconds: float, target: float) -> str:
    return "PASS" if seconds <= target else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--format", choices=("parquet", "csv", "both"), default="both")
    ap.add_argument("--cox", action="store_true", help="also time the Cox model")
    ap.add_argument("--repeat", type=int, default=2, help="runs per file format; the best is reported")
    a = ap.parse_args()
    (cust, tx, resp), tg = timed(generate, a.customers, a.transactions)
    print(f"data: {a.customers:,} customers, {a.transactions:,} transactions (generated in {tg:.1f} s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times rise with it)")
    fmts = ("parquet", "csv") if a.format == "both" else (a.format,)
    with tempfile.TemporaryDirectory() as d:
        for fmt in fmts:
            cpath, tpath = write(cust, tx, Path(d), fmt)
            to = tp = co = cp = float("inf")
            for _ in range(a.repeat):  # best of a.repeat runs: the first also pays imports and page faults
                o, t_ = timed(ours, cpath, tpath)
                to, co = min(to, t_), min(co, timed.cpu)  # type: ignore[attr-defined]
                p, t_ = timed(plain_pandas, cpath, tpath, int(o["horizon"]))  # type: ignore[arg-type]
                tp, cp = min(tp, t_), min(cp, timed.cpu)  # type: ignore[attr-defined]
            bad = same(o, p)
            print(f"RFM + CLV by segment from {fmt:7s}: ours {to:6.2f} s (cpu {co:5.2f})  pandas {tp:6.2f} s "
                  f"(cpu {cp:5.2f})  ratio pandas/ours {tp / to:5.2f}  target 5 s {verdict(to, 5.0)}  "
                  f"same numbers: {'yes' if not bad else 'NO ' + ', '.join(bad)}")
    zone = zone_codes(resp["index"].to_numpy(), 50, 80)
    comp = Factor.from_values(resp["complaint"].to_numpy(), COMPLAINT)
    m, tm = timed(churn_model, resp["churned"].to_numpy(), resp["index"].to_numpy(), zone, comp)
    import statsmodels.formula.api as smf

    df = resp.assign(zone=np.array(zone.labels)[zone.codes], y=resp["churned"].astype(float), idx=resp["index"] / 10)
    res, tf = timed(lambda: smf.logit("y ~ idx + C(zone, Treatment('loyalty')) + C(complaint, Treatment('none'))",
                                      df).fit(disp=0))
    agree = np.allclose([r.coef for r in m.rows], res.params.to_numpy()[[5, 1, 2, 3, 4]], rtol=1e-6)
    print(f"churn model (logit, {len(df):,} rows): ours {tm:6.2f} s  smf.logit {tf:6.2f} s  "
          f"ratio {tf / tm:5.2f}  target 10 s {verdict(tm, 10.0)}  same numbers: {'yes' if agree else 'NO'}  "
          f"OR per 10 points {m.row('index').ratio:.3f} {m.row('index').ci}")
    if a.cox:
        mc, tc = timed(churn_model, resp["churned"].to_numpy(), resp["index"].to_numpy(), None, comp,
                       tenure=resp["tenure"].to_numpy(), method="cox")
        print(f"churn model (Cox PHReg): ours {tc:6.2f} s  target 10 s {verdict(tc, 10.0)}  "
              f"HR per 10 points {mc.row('index').ratio:.3f} (truth {np.exp(TRUE_LOG_OR_INDEX):.3f}) "
              f"{mc.row('index').ci}")
    _ = RFM_SEGMENTS


if __name__ == "__main__":
    main()
