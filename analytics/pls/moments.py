"""Sufficient statistics of the indicators in one pass over the data: means and covariance.

Once the indicators are standardised, PLS path modelling needs nothing but their correlation matrix
(Lohmöller 1989, ch. 2): outer weights, construct correlations, loadings, paths and R² are all functions of
it. So a fit reads the data once, in row chunks of a small float64 buffer, accumulating with BLAS

    G = Σ (x − c)(x − c)ᵀ,   s = Σ (x − c)

around a provisional centre ``c`` (the first chunk's means, for numerical stability), and finishes with
``cov = (G − n·μ μᵀ)/(n − 1)`` where ``μ = s/n``. Memory is the buffer plus p×p accumulators, whatever n.

Missing cells (NaN) are handled only as the caller chose (``missing=None``, the default, refuses data with
gaps and names the items that have them):

- ``"mean"``: each missing cell takes its column's observed mean (Hair et al. 2022, *A Primer on PLS-SEM*,
  3rd ed., §2.3). With ``o`` the observed-indicator and ``x⁰`` the shifted data with zeros at missing cells,
  the imputed data's centred cross-products are ``G − μ_k B_jk − μ_j B_kj + μ_j μ_k N_jk`` with
  ``B = x⁰ᵀ o`` and ``N = oᵀ o``, still one pass.
- ``"casewise"``: rows with any missing indicator are dropped; only complete rows are accumulated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.pls._blas import single_threaded_blas

Missing = Literal["mean", "casewise"]
CHUNK_ROWS = 16384


@dataclass(frozen=True)
class MissingReport:
    """What the missing-data treatment did, to show next to the results.

    Attributes
    ----------
    method : "mean", "casewise", or None when none was chosen (then the data had no missing cells)
    n_rows : rows in the data given to ``fit``
    n_used : rows the estimates rest on
    n_dropped : rows dropped (casewise only)
    n_imputed : cells replaced by their column mean (mean only)
    n_incomplete : rows with at least one missing item — the rows the treatment touched (imputed into under
        ``"mean"``, dropped under ``"casewise"``)
    missing_by_item : missing cells per item, over all rows
    """

    method: Missing | None
    n_rows: int
    n_used: int
    n_dropped: int
    n_imputed: int
    n_incomplete: int
    missing_by_item: pd.Series = field(repr=False)

    @property
    def any_missing(self) -> bool:
        return bool(self.missing_by_item.sum() > 0)

    def __str__(self) -> str:
        if not self.any_missing:
            return f"no missing data ({self.n_rows} rows)"
        if self.method == "casewise":
            return f"casewise deletion: {self.n_dropped} of {self.n_rows} rows dropped, {self.n_used} used"
        return (
            f"mean replacement: {self.n_imputed} cells imputed in {self.n_incomplete} of {self.n_rows} rows"
        )

    def as_dict(self) -> dict[str, object]:
        """Plain-data form for JSON output: the method chosen and the rows and cells it affected."""
        return {
            "method": self.method,
            "n_rows": self.n_rows,
            "n_used": self.n_used,
            "n_rows_dropped": self.n_dropped,
            "n_cells_imputed": self.n_imputed,
            "n_rows_incomplete": self.n_incomplete,
            "missing_by_item": {str(k): int(v) for k, v in self.missing_by_item.items() if v},
        }


@dataclass(frozen=True)
class Moments:
    """Means, sample covariance (ddof = 1) and correlation of the indicators in use."""

    n: int
    mean: NDArray[np.float64]
    cov: NDArray[np.float64]

    @property
    def std(self) -> NDArray[np.float64]:
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> NDArray[np.float64]:
        s = self.std
        r = self.cov / np.outer(s, s)
        np.fill_diagonal(r, 1.0)
        return r


class _Columns:
    """The item columns of a DataFrame as 1-D arrays, copied chunk by chunk into a float64 buffer."""

    def __init__(self, data: pd.DataFrame, items: Sequence[str]) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        absent = [i for i in items if i not in data.columns]
        if absent:
            raise ValueError(f"item {absent[0]!r} is not a column of the data" + _more(absent))
        self.cols: list[NDArray[np.generic]] = []
        for i in items:
            s = data[i]
            if isinstance(s, pd.DataFrame):
                raise ValueError(f"item {i!r} names more than one column of the data")
            dt = s.dtype
            if isinstance(dt, np.dtype) and dt.kind in "fiub":
                arr = s.to_numpy()
            elif pd.api.types.is_numeric_dtype(dt):
                arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                try:
                    arr = pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"item {i!r} is not numeric (dtype {dt})") from exc
            self.cols.append(arr)
        self.n = len(data)
        self.p = len(items)
        self.index = data.index

    def chunks(self, rows: int | None = None) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
        """Yield ``(start, stop, x)`` with ``x`` a reused F-ordered float64 buffer; BLAS is single-threaded
        in this thread meanwhile (see :mod:`analytics.pls._blas`)."""
        rows = rows or CHUNK_ROWS
        buf = np.empty((min(rows, max(self.n, 1)), self.p), order="F")
        with single_threaded_blas():
            for a in range(0, self.n, rows):
                b = min(a + rows, self.n)
                x = buf[: b - a]
                for j, col in enumerate(self.cols):
                    x[:, j] = col[a:b]
                yield a, b, x


def scan(data: pd.DataFrame, items: Sequence[str], missing: Missing | None) -> tuple[Moments, MissingReport]:
    """One pass over ``data[items]``: means and covariance under the chosen missing-data rule.

    Raises
    ------
    ValueError
        When an item is absent or not numeric, all missing, or constant (zero variance); or when the data has
        missing cells and ``missing`` is None (naming the items that have them).
    """
    if missing not in ("mean", "casewise", None):
        raise ValueError(f"missing must be 'mean', 'casewise' or None, got {missing!r}")
    cols = _Columns(data, items)
    p = cols.p
    G = np.zeros((p, p))
    s = np.zeros(p)
    cnt = np.zeros(p)
    n_complete = 0
    # Accumulators that only chunks with missing cells need (None until the first such chunk).
    Bm: NDArray[np.float64] | None = None
    N: NDArray[np.float64] | None = None
    G_cc = np.zeros((p, p))  # complete rows only (casewise)
    s_cc = np.zeros(p)
    c: NDArray[np.float64] | None = None

    for a, b, x in cols.chunks():
        m = b - a
        if c is None:
            seen = ~np.isnan(x)
            c = np.where(seen, x, 0.0).sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
        x -= c
        cs = x.sum(axis=0)
        if np.isfinite(cs).all():
            xtx = x.T @ x
            G += xtx
            s += cs
            cnt += m
            n_complete += m
            G_cc += xtx
            s_cc += cs
            if Bm is not None and N is not None:
                Bm += cs[:, None]
                N += m
            continue
        nan = np.isnan(x)
        if not np.isfinite(x[~nan]).all():
            j = int(np.flatnonzero(~np.isfinite(np.where(nan, 0.0, x)).any(axis=0))[0])
            raise ValueError(f"item {items[j]!r} has infinite values")
        if Bm is None or N is None:
            Bm = np.repeat(s[:, None], p, axis=1)
            N = np.full((p, p), float(n_complete))  # oᵀo over the complete chunks so far
        ok = ~nan.any(axis=1)
        xc = x[ok]
        G_cc += xc.T @ xc
        s_cc += xc.sum(axis=0)
        n_complete_chunk = int(ok.sum())
        x[nan] = 0.0
        o = (~nan).astype(np.float64)
        G += x.T @ x
        s += x.sum(axis=0)
        cnt += o.sum(axis=0)
        Bm += x.T @ o
        N += o.T @ o
        n_complete += n_complete_chunk

    if c is None:
        raise ValueError("the data has no rows")
    return moments_from_sums(items, missing, c=c, G=G, s=s, cnt=cnt, Bm=Bm, N=N, G_cc=G_cc, s_cc=s_cc,
                             n_rows=cols.n, n_complete=n_complete)


def moments_from_sums(
    items: Sequence[str],
    missing: Missing | None,
    *,
    c: NDArray[np.float64],
    G: NDArray[np.float64],
    s: NDArray[np.float64],
    cnt: NDArray[np.float64],
    Bm: NDArray[np.float64] | None,
    N: NDArray[np.float64] | None,
    G_cc: NDArray[np.float64],
    s_cc: NDArray[np.float64],
    n_rows: int,
    n_complete: int,
) -> tuple[Moments, MissingReport]:
    """Means and covariance from the sums of one pass about a shift ``c`` (``x̃ = x − c``, missing cells 0):
    ``G = Σ x̃x̃ᵀ``, ``s = Σ x̃``, ``cnt`` = answers per item, ``Bm = Σ x̃ oᵀ`` and ``N = Σ o oᵀ`` (``o`` = answered;
    ``None`` when every row was complete), and ``G_cc``, ``s_cc`` over the complete rows only.

    Complete data: ``cov = (G − n μμᵀ)/(n − 1)``. Mean replacement (a missing cell counts as its item's
    mean): ``cov_jk = (G_jk − μ_k Bm_jk − μ_j Bm_kj + μ_j μ_k N_jk)/(n − 1)``. Casewise deletion: the complete
    rows' sums. (Hair et al., *A Primer on PLS-SEM*, 3rd ed. 2022, section 2.3.) Shared by `scan` and the
    streamed summary (`analytics.streaming`), which accumulates the same sums chunk by chunk.
    """
    missing_by_item = pd.Series(n_rows - cnt, index=list(items), dtype=np.int64, name="missing")
    for j, i in enumerate(items):
        if cnt[j] == 0:
            raise ValueError(f"item {i!r} has no observed values")
    if missing is None and Bm is not None:
        holes = missing_by_item[missing_by_item > 0]
        listed = ", ".join(f"{i!r} ({v})" for i, v in holes.items())
        raise ValueError(
            f"the data has missing values in item{'s' if len(holes) > 1 else ''} {listed} "
            f"({n_rows - n_complete} of {n_rows} rows incomplete); choose missing='mean' (mean replacement) "
            "or missing='casewise' (casewise deletion)"
        )

    if Bm is None or N is None:  # complete data
        mu = s / n_rows
        cov = (G - n_rows * np.outer(mu, mu)) / max(n_rows - 1, 1)
        n_used, n_imputed = n_rows, 0
    elif missing == "casewise":
        n_used = n_complete
        if n_used < 2:
            raise ValueError(f"casewise deletion leaves {n_used} complete rows of {n_rows}")
        mu = s_cc / n_used
        cov = (G_cc - n_used * np.outer(mu, mu)) / (n_used - 1)
        n_imputed = 0
    else:
        mu = s / cnt
        cov = (G - mu[None, :] * Bm - mu[:, None] * Bm.T + np.outer(mu, mu) * N) / max(n_rows - 1, 1)
        n_used, n_imputed = n_rows, int(missing_by_item.sum())
    cov = (cov + cov.T) / 2.0
    mean = c + mu
    var = np.diag(cov).copy()
    # Below this the variance is rounding, not data: 1e-12 of the mean square about the shift c (the
    # cancellation error of G − n μμᵀ), or an sd below 1e-10 of the level.
    G_used = G_cc if (Bm is not None and missing == "casewise") else G
    floor = 1e-12 * np.diag(G_used) / max(n_used - 1, 1) + (1e-10 * np.maximum(1.0, np.abs(mean))) ** 2
    for j, i in enumerate(items):
        if not var[j] > floor[j]:
            raise ValueError(f"item {i!r} is constant (no variance in the {n_used} rows used)")
    report = MissingReport(
        method=missing,
        n_rows=n_rows,
        n_used=n_used,
        n_dropped=n_rows - n_used,
        n_imputed=n_imputed,
        n_incomplete=n_rows - n_complete,
        missing_by_item=missing_by_item,
    )
    return Moments(n=n_used, mean=mean, cov=cov), report


def standardized_scores(
    data: pd.DataFrame,
    items: Sequence[str],
    moments: Moments,
    weights: NDArray[np.float64],
    missing: Missing | None,
) -> tuple[NDArray[np.float64], pd.Index]:
    """Construct scores ``Y = Z W`` for every row used, ``Z`` the standardised indicators.

    ``Z W = X (W / s) − (m / s) W``: one GEMM per chunk on the raw values. Under mean replacement a missing
    cell's standardised value is 0; under casewise deletion incomplete rows get no score.
    """
    cols = _Columns(data, items)
    Ws = weights / moments.std[:, None]
    offset = moments.mean @ Ws
    out = np.empty((cols.n, weights.shape[1]))
    keep = np.ones(cols.n, dtype=bool)
    for a, b, x in cols.chunks():
        nan = np.isnan(x)
        if nan.any():
            if missing == "casewise":
                keep[a:b] = ~nan.any(axis=1)
            x[nan] = np.broadcast_to(moments.mean, x.shape)[nan]
        out[a:b] = x @ Ws
        out[a:b] -= offset
    if keep.all():
        return out, cols.index
    return out[keep], cols.index[keep]


def _more(names: list[str]) -> str:
    return f" (nor are {', '.join(repr(n) for n in names[1:])})" if len(names) > 1 else ""
