"""Small vectorised helpers shared by the economics modules (docs/methods.md section 12)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import z_quantile


def wilson(successes: ArrayLike, n: ArrayLike, conf: float = 0.95) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson (1927) score interval for p = x/n, vectorised; NaN where n = 0.

    centre = (p + z^2/(2n)) / (1 + z^2/n);  half = z / (1 + z^2/n) sqrt(p(1-p)/n + z^2/(4n^2))
    (the same formula as `analytics.inference.wilson_ci`; docs/methods.md section 12.1).
    """
    x = np.asarray(successes, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    z = z_quantile(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / nn
        d = 1 + z * z / nn
        c = (p + z * z / (2 * nn)) / d
        h = z / d * np.sqrt(np.maximum(p * (1 - p) / nn + z * z / (4 * nn * nn), 0.0))
    return np.maximum(c - h, 0.0), np.minimum(c + h, 1.0)


def rnd(x: float | None, digits: int | None) -> float | None:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return float(round(x, digits)) if digits is not None else float(x)
