"""Item statistics: n, mean, sd, distribution, top-box share and 95 % CIs, weighted or not.

All items of a code matrix are summarised in one vectorised pass: a (weighted) histogram of the codes per item
(one ``numpy.bincount`` per block of rows, with sum w and sum w^2 per code). Because answers are discrete, the
weighted mean, variance and the linearisation standard error follow exactly from the histogram:

    m = sum_v W_v s_v / W;   sd^2 = n/(n-1) * sum_v W_v (s_v - m)^2 / W;
    se^2 = n/(n-1) * sum_v W2_v (s_v - m)^2 / W^2                       (Kish 1965; `analytics.inference`)

where W_v = sum of weights with answer v, W2_v = sum of squared weights and s_v the 0-100 score of v. Without
weights se = sd / sqrt(n). The CI is m +- t_{n_eff - 1} se. The top-box share uses the Wilson interval
(`analytics.satisfaction_rate`), and so does each share of the distribution (Wilson 1927 on n_eff, as a
fraction; vectorised over the scale points).

When the weights come from raking in the analysis (``calibration``), the mean's and the top-box share's
variances are the calibrated ones (`analytics.calibration`, docs/methods.md section 10.1) instead; the
distribution's shares keep their Wilson intervals on n_eff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from analytics.calibration import Calibration, calibrated_mean_variances
from analytics.inference import Estimate, check_weights, mean_ci, z_quantile
from analytics.satisfaction_rate import proportion_estimate, top_box_threshold
from analytics.scoring import ItemScoring, score_matrix
from survey_defs.schema import HIDDEN_CODE

#: Column of code c in a `code_histogram` is c + OFFSET: 0 = not asked (-3), 1 = N/A (-2), 2 = missing (-1).
OFFSET = -HIDDEN_CODE

__all__ = ["OFFSET", "CodeError", "ItemStats", "checked_histogram", "code_histogram", "histogram_means",
           "item_statistics", "stats_from_histogram"]

_BLOCK = 1 << 12  # rows per bincount block: keeps the keys and weights in cache


@dataclass(frozen=True)
class ItemStats:
    """Summary of one item. ``mean``/``sd`` are on the 0-100 score; ``raw_mean`` on the raw scale as stored
    (not reverse coded). ``distribution`` maps each raw value to (count, weighted share). ``top_box`` is the
    share (percent) in the top ``top_box_count`` points after reverse coding. ``n_missing`` counts non-response
    (-1), ``n_na`` "not applicable" (-2) and ``n_hidden`` respondents the item was not asked of (-3, ``show_if``):
    a structural gap, so an item's response rate is n / (n + n_missing + n_na), not over n_hidden (docs/methods.md
    section 14)."""

    item_id: str
    n: int
    n_missing: int
    n_na: int
    mean: Estimate
    sd: float | None
    raw_mean: float | None
    distribution: dict[int, tuple[int, float]]
    top_box: Estimate
    top_box_count: int
    warnings: list[str] = field(default_factory=list)
    distribution_ci: dict[int, tuple[float, float]] = field(default_factory=dict)
    n_hidden: int = 0

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else (round(float(x), digits) if digits is not None else float(x))

        return {
            "item": self.item_id,
            "n": self.n,
            "n_missing": self.n_missing,
            "n_na": self.n_na,
            "n_hidden": self.n_hidden,
            "mean": self.mean.to_dict(digits),
            "sd": r(self.sd),
            "raw_mean": r(self.raw_mean),
            "distribution": {str(v): {"count": c, "share": r(s), "ci": _pair(self.distribution_ci.get(v), r)}
                             for v, (c, s) in self.distribution.items()},
            "top_box": {**self.top_box.to_dict(digits), "boxes": self.top_box_count},
            "warnings": list(self.warnings),
        }


def _pair(ci: tuple[float, float] | None, r: Callable[[float | None], float | None]) -> list[float | None] | None:
    return None if ci is None else [r(ci[0]), r(ci[1])]


def _wilson(p: NDArray[np.float64], n: float, z: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised Wilson (1927) score interval (same formula as `analytics.inference.wilson_ci`)."""
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * np.sqrt(np.maximum(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


class CodeError(ValueError):
    """A code that is not -3, -2, -1 or a scale value, in column ``column``."""

    def __init__(self, column: int, code: int) -> None:
        super().__init__(f"column {column}: code {code} is not a valid answer code")
        self.column = column
        self.code = code


def code_histogram(
    codes: NDArray[np.integer], weights: NDArray[np.float64] | None, max_code: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Per item and code: count, sum of weights, sum of squared weights.

    Returns three (k, max_code + 1 + OFFSET) arrays; column ``code + OFFSET`` holds code (so 0 = not asked,
    1 = N/A, 2 = missing). Raises ValueError when a code is below -3 or above ``max_code`` (checked per block).
    """
    codes = np.asarray(codes)
    n, k = codes.shape
    width = max_code + 1 + OFFSET
    off = (np.arange(k, dtype=np.intp) * width + OFFSET)[None, :]
    c0 = np.zeros(k * width, dtype=np.int64)
    c1 = np.zeros(k * width)
    c2 = np.zeros(k * width)
    for r0 in range(0, n, _BLOCK):
        cb = codes[r0 : r0 + _BLOCK]
        if cb.min() < HIDDEN_CODE or cb.max() > max_code:
            bad = (cb < HIDDEN_CODE) | (cb > max_code)
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            raise CodeError(j, int(cb[bad[:, j], j][0]))
        key = (cb + off).ravel()
        c0 += np.bincount(key, minlength=k * width)
        if weights is None:
            continue
        ww = np.repeat(weights[r0 : r0 + _BLOCK], k)
        c1 += np.bincount(key, weights=ww, minlength=k * width)
        ww *= ww
        c2 += np.bincount(key, weights=ww, minlength=k * width)
    c0 = c0.reshape(k, width)
    if weights is None:
        return c0, c0.astype(np.float64), c0.astype(np.float64)
    return c0, c1.reshape(k, width), c2.reshape(k, width)


def item_statistics(
    codes: NDArray[np.integer],
    rules: list[ItemScoring],
    top_box: list[int],
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
    calibration: Calibration | None = None,
) -> list[ItemStats]:
    """Statistics of every column of an (n, k) code matrix.

    Parameters
    ----------
    codes : (n, k) stored codes (raw value, -1 missing, -2 N/A).
    rules : scoring rule per column (`analytics.scoring.item_scoring`).
    top_box : number of top points counted as satisfied per column (``Scale.top_box_count``).
    weights : (n,) respondent weights or None.
    calibration : the raking that made ``weights`` (domain: these n respondents); the means' and top-box
        shares' CIs then use the calibrated variance (module docstring).

    An item nobody answered gets ``mean``/``top_box`` marked insufficient data (with the item in the reason);
    an item with one answer has no CI; a constant item carries a ``constant`` warning.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != len(rules) or len(top_box) != len(rules):
        raise ValueError(f"codes {codes.shape} do not match {len(rules)} scoring rules / {len(top_box)} top-box counts")
    w = None if weights is None else check_weights(weights, codes.shape[0])
    hist = checked_histogram(codes, rules, w)
    out = stats_from_histogram(hist, rules, top_box, conf)
    if calibration is None:
        return out
    calibration.check(w, "item statistics")
    S = score_matrix(codes, rules)
    T = np.column_stack([r.oriented(codes[:, j].astype(np.float64)) >= top_box_threshold(r, t)
                         for j, (r, t) in enumerate(zip(rules, top_box, strict=True))]).astype(np.float64)
    T[np.isnan(S)] = np.nan
    var = calibrated_mean_variances(np.hstack([S, T]), calibration)
    k = len(rules)
    return [_calibrated(st, rule, float(var[j]), float(var[k + j]), conf) for j, (st, rule) in
            enumerate(zip(out, rules, strict=True))]


def _calibrated(st: ItemStats, rule: ItemScoring, var_mean: float, var_top: float, conf: float) -> ItemStats:
    """An item's statistics with the mean's and top-box share's CIs from their calibrated variances."""
    mean, tb = st.mean, st.top_box
    if mean.value is not None and mean.ci is not None and np.isfinite(var_mean):
        se = float(np.sqrt(max(var_mean, 0.0)))
        lo, hi = mean_ci(mean.value, se, max((mean.n_eff or mean.n) - 1.0, 1.0), conf)
        mean = replace(mean, ci=(max(lo, rule.score_min), min(hi, rule.score_max)), se=se)
    if tb.value is not None and np.isfinite(var_top):
        p = tb.value / 100.0
        n_eff = tb.n_eff if tb.n_eff is not None else float(tb.n)
        tb = proportion_estimate(p, 1.0, tb.n, n_eff, conf, what=f"top box of {st.item_id!r}", variance=var_top)
    return replace(st, mean=mean, top_box=tb)


def checked_histogram(
    codes: NDArray[np.integer], rules: list[ItemScoring], weights: NDArray[np.float64] | None
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """`code_histogram` after checking that every code is -3, -2, -1 or on the item's scale (ValueError names
    it)."""
    max_code = max((r.max for r in rules), default=0)
    try:
        c0, c1, c2 = code_histogram(codes, weights, max_code)
    except CodeError as exc:
        r = rules[exc.column]
        raise ValueError(f"item {r.item_id!r}: codes outside the scale {r.min}..{r.max}") from None
    for j, rule in enumerate(rules):
        if c0[j, OFFSET : OFFSET + rule.min].any() or c0[j, rule.max + 1 + OFFSET :].any():
            raise ValueError(f"item {rule.item_id!r}: codes outside the scale {rule.min}..{rule.max}")
    return c0, c1, c2


def histogram_means(
    hist: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]], rules: list[ItemScoring]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Per item: answered count n_j, weight total W_j and weighted mean score m_j (NaN when W_j = 0)."""
    c0, c1, _ = hist
    n = np.empty(len(rules), dtype=np.int64)
    W = np.empty(len(rules))
    m = np.full(len(rules), np.nan)
    for j, r in enumerate(rules):
        cols = np.arange(r.min, r.max + 1) + OFFSET
        n[j] = c0[j, cols].sum()
        W[j] = c1[j, cols].sum()
        if W[j] > 0:
            m[j] = c1[j, cols] @ (r.offset + r.slope * (cols - OFFSET)) / W[j]
    return n, W, m


def stats_from_histogram(
    hist: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
    rules: list[ItemScoring],
    top_box: list[int],
    conf: float = 0.95,
) -> list[ItemStats]:
    """Item statistics from a `code_histogram` (formulas in the module docstring)."""
    c0, c1, c2 = hist
    z = z_quantile(conf)
    out: list[ItemStats] = []
    for j, rule in enumerate(rules):
        vals = np.arange(rule.min, rule.max + 1)
        cols = vals + OFFSET
        cnt, wv, w2v = c0[j, cols], c1[j, cols], c2[j, cols]
        n = int(cnt.sum())
        n_hidden, n_na, n_missing = (int(c0[j, OFFSET + c]) for c in (HIDDEN_CODE, -2, -1))
        W = float(wv.sum())
        item = rule.item_id
        warnings: list[str] = []
        if n == 0 or W <= 0:
            ins = Estimate.insufficient(n, f"item {item!r}: nobody answered")
            out.append(ItemStats(item, n, n_missing, n_na, ins, None, None, {}, ins, top_box[j], ["no answers"],
                                 n_hidden=n_hidden))
            continue
        s = rule.offset + rule.slope * vals
        m = float(wv @ s / W)
        dev2 = (s - m) ** 2
        W2 = float(w2v.sum())
        n_eff = W * W / W2
        shares = wv / W
        dist = {int(v): (int(cnt[i]), float(shares[i])) for i, v in enumerate(vals)}
        lo_s, hi_s = _wilson(shares, n_eff, z)
        dist_ci = {int(v): (float(lo_s[i]), float(hi_s[i])) for i, v in enumerate(vals)}
        raw_mean = float(wv @ vals / W)
        tb = top_box_threshold(rule, top_box[j])
        sat = rule.oriented(vals.astype(np.float64)) >= tb
        tbox = proportion_estimate(float(wv[sat].sum()), W, n, n_eff, conf, what=f"top box of {item!r}")
        if (cnt > 0).sum() == 1:
            warnings.append("constant: every answer is the same")
        if n < 2:
            mean = Estimate(value=m, n=n, ci=None, n_eff=n_eff, status="insufficient_data",
                            reason=f"item {item!r}: one answer only, no confidence interval")
            out.append(ItemStats(item, n, n_missing, n_na, mean, None, raw_mean, dist, tbox, top_box[j], warnings,
                                 dist_ci, n_hidden))
            continue
        f = n / (n - 1)
        sd = float(np.sqrt(f * (wv @ dev2) / W))
        se = float(np.sqrt(f * (w2v @ dev2) / (W * W)))
        lo, hi = mean_ci(m, se, max(n_eff - 1.0, 1.0), conf)
        lo, hi = max(lo, rule.score_min), min(hi, rule.score_max)
        mean = Estimate(value=m, n=n, ci=(lo, hi), se=se, n_eff=n_eff)
        out.append(ItemStats(item, n, n_missing, n_na, mean, sd, raw_mean, dist, tbox, top_box[j], warnings,
                             dist_ci, n_hidden))
    return out
