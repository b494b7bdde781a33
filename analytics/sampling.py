"""Sample size, allocation over strata and a reproducible stratified draw (docs/methods.md section 13).

Pure numpy/scipy. The formulas are Cochran's (1977, ch. 4 and 5): for a mean ``n0 = (z*sigma/e)^2``
(section 13.1), for a rate ``n0 = z^2 p(1-p)/e^2``; the design effect (Kish 1965) inflates ``n0`` to
``n0*deff``; the finite population correction gives ``n = n'/(1 + (n'-1)/N)``; completes ``ceil(n)`` divided by
the expected response rate give the invitations to send. Strata share the completes and the invitations
proportionally (``n_h ∝ N_h``) or by Neyman allocation (``n_h ∝ N_h S_h``, Cochran 1977 §5.5), rounded by the
largest-remainder method so the parts sum exactly to the whole (section 13.2).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

Allocation = Literal["proportional", "neyman"]


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile: 1.959964 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def n0_mean(sd: float, margin: float, confidence: float = 0.95) -> float:
    """Cochran (1977) eq. 4.2 for a mean: ``n0 = (z sigma / e)^2``; ``sd`` and ``margin`` in the same units
    (index points on 0-100)."""
    if sd <= 0 or margin <= 0:
        raise ValueError("sd and margin must be positive")
    return (z_value(confidence) * sd / margin) ** 2


def n0_rate(p: float, margin: float, confidence: float = 0.95) -> float:
    """Cochran (1977) eq. 4.2 for a proportion: ``n0 = z^2 p (1 - p) / e^2`` (``p`` and ``margin`` as shares)."""
    if not 0 < p < 1:
        raise ValueError(f"the expected proportion must be between 0 and 1, got {p}")
    if not 0 < margin < 1:
        raise ValueError(f"the margin of a rate must be between 0 and 1, got {margin}")
    return z_value(confidence) ** 2 * p * (1 - p) / margin**2


def finite_correction(n: float, population: float | None) -> float:
    """Cochran (1977) eq. 4.3: ``n / (1 + (n - 1) / N)``; no population: ``n`` unchanged."""
    if population is None:
        return n
    if population < 1:
        raise ValueError("the population must be at least 1")
    return n / (1 + (n - 1) / population)


def largest_remainder(shares: Sequence[float], total: int) -> list[int]:
    """Integers proportional to ``shares`` that sum to ``total`` (Hamilton's largest-remainder method).

    Each part gets the floor of its quota ``total * share / sum``; the units left go to the largest fractional
    remainders, ties to the earlier part, so the result depends only on the order of the shares.
    """
    w = np.asarray(shares, dtype=float)
    if total < 0 or w.size == 0 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("largest_remainder needs a non-negative total and non-negative shares with a positive sum")
    quota = total * w / w.sum()
    base = np.floor(quota + 1e-9).astype(int)
    left = total - int(base.sum())
    order = sorted(range(len(w)), key=lambda i: (-(quota[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return [int(x) for x in base]


def allocate(total: int, sizes: Sequence[int], sds: Sequence[float] | None = None,
             method: Allocation = "proportional") -> list[int]:
    """Share ``total`` over strata of ``sizes``: proportional (``∝ N_h``) or Neyman (``∝ N_h S_h``).

    No stratum gets more than its size: a capped stratum takes all of it and the rest is shared again among the
    others (Cochran 1977 §5.8). Raises ValueError when ``total`` exceeds the population.
    """
    sizes_a = np.asarray(sizes, dtype=float)
    if total > sizes_a.sum():
        raise ValueError(f"{total} exceeds the population of {int(sizes_a.sum())}")
    if method == "neyman":
        if sds is None or len(sds) != len(sizes):
            raise ValueError("Neyman allocation needs an SD for every stratum")
        weights = sizes_a * np.asarray(sds, dtype=float)
    elif method == "proportional":
        weights = sizes_a.copy()
    else:
        raise ValueError(f"unknown allocation {method!r}; use proportional or neyman")
    out = np.zeros(len(sizes_a), dtype=int)
    free = np.ones(len(sizes_a), dtype=bool)
    left = total
    while left > 0:
        w = np.where(free, weights, 0.0)
        if w.sum() <= 0:  # every stratum with weight is full: the rest by size
            w = np.where(free, sizes_a, 0.0)
        part = np.asarray(largest_remainder(w, left))
        over = free & (out + part > sizes_a)
        if not over.any():
            out += part
            break
        out[over] = sizes_a[over].astype(int)
        free &= ~over
        left = total - int(out.sum())
    return [int(x) for x in out]


@dataclass(frozen=True)
class Stratum:
    name: str
    size: int
    sd: float | None = None


@dataclass
class StratumPlan:
    name: str
    size: int
    completes: int
    invitations: int
    warning: str | None = None


@dataclass
class SamplePlan:
    """Every step of the computation, so the plan can be checked by hand."""

    target: Literal["mean", "rate"]
    confidence: float
    z: float
    margin: float
    sd: float | None
    p: float | None
    deff: float
    population: int | None
    response_rate: float
    n0: float
    n_deff: float
    n_fpc: float
    completes: int
    invitations: int
    allocation: Allocation | None = None
    strata: list[StratumPlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan(*, margin: float, confidence: float = 0.95, sd: float | None = None, p: float | None = None,
         population: int | None = None, deff: float = 1.0, response_rate: float = 1.0,
         strata: Sequence[Stratum] = (), allocation: Allocation = "proportional") -> SamplePlan:
    """The completes and invitations needed for ``margin`` on a mean (give ``sd``) or a rate (give ``p``).

    ``n0`` (Cochran) times ``deff`` (Kish), then the finite population correction, rounded up to completes;
    invitations = ceil(completes / response_rate). With strata, the population defaults to their total and both
    completes and invitations are allocated over them.
    """
    if (sd is None) == (p is None):
        raise ValueError("give either the expected SD (a mean, e.g. the index) or the expected proportion (a rate)")
    if deff < 1:
        raise ValueError(f"the design effect must be at least 1, got {deff}")
    if not 0 < response_rate <= 1:
        raise ValueError(f"the response rate must be in (0, 1], got {response_rate}")
    if strata and population is None:
        population = sum(s.size for s in strata)
    n0 = n0_mean(sd, margin, confidence) if sd is not None else n0_rate(float(p), margin, confidence)
    n_deff = n0 * deff
    n_fpc = finite_correction(n_deff, population)
    completes = math.ceil(n_fpc - 1e-9)
    invitations = math.ceil(completes / response_rate - 1e-9)
    out = SamplePlan(target="mean" if sd is not None else "rate", confidence=confidence, z=z_value(confidence),
                     margin=margin, sd=sd, p=p, deff=deff, population=population, response_rate=response_rate,
                     n0=n0, n_deff=n_deff, n_fpc=n_fpc, completes=completes, invitations=invitations)
    if population is not None and invitations > population:
        out.warnings.append(f"{invitations} invitations are needed but the population has {population}: even a "
                            "census will not reach the margin at this response rate")
    if strata:
        out.allocation = allocation
        sizes = [s.size for s in strata]
        sds = [float(s.sd) if s.sd is not None else math.nan for s in strata] if allocation == "neyman" else None
        if sds is not None and any(math.isnan(x) for x in sds):
            raise ValueError("Neyman allocation needs the SD of every stratum")
        comp = allocate(min(completes, sum(sizes)), sizes, sds, allocation)
        weights = [n * sd_ for n, sd_ in zip(sizes, sds or [1.0] * len(sizes), strict=True)]
        inv = largest_remainder(weights, invitations)
        for s, c, i in zip(strata, comp, inv, strict=True):
            warn = None
            if i > s.size:
                warn = f"stratum {s.name}: {i} invitations needed but only {s.size} customers"
                out.warnings.append(warn)
            out.strata.append(StratumPlan(s.name, s.size, c, i, warn))
    return out


def draw(keys: Sequence[Hashable], n: int, seed: int, *, sds: dict[Hashable, float] | None = None,
         allocation: Allocation = "proportional") -> tuple[list[int], dict[Hashable, int]]:
    """A stratified simple random sample without replacement of ``n`` rows, ``keys[i]`` being row i's stratum.

    Strata are taken in sorted order of their keys, allocated by `allocate` (largest remainder), and each is
    sampled with ``numpy.random.default_rng(seed).choice(..., replace=False)`` in that order: the same file, n
    and seed give the same rows. Returns the chosen row indices in file order and the count per stratum.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    groups: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    order = sorted(groups, key=lambda k: tuple(map(str, k)) if isinstance(k, tuple) else (str(k),))
    sizes = [len(groups[k]) for k in order]
    stratum_sds = [float(sds[k]) for k in order] if allocation == "neyman" and sds else None
    counts = allocate(n, sizes, stratum_sds, allocation)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for k, c in zip(order, counts, strict=True):
        members = np.asarray(groups[k])
        chosen.extend(int(x) for x in rng.choice(members, size=c, replace=False))
    return sorted(chosen), dict(zip(order, counts, strict=True))
