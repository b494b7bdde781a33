"""Typed inputs of the economics analyses: a customer table, transactions and coded groups
(docs/methods.md section 12).

Dates are float64 days since 1970-01-01 (NaN = none), so every analysis is plain numpy. A customer's tenure at
``as_of`` is (min(until, as_of) - since) / period_days periods; the customer has churned by ``as_of`` when
``until <= as_of`` (otherwise the tenure is censored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["CustomerTable", "Factor", "Transactions", "as_factor"]


@dataclass(frozen=True)
class Factor:
    """A categorical variable: integer ``codes`` (-1 = missing) into ``labels`` (docs/methods.md 12)."""

    codes: NDArray[np.int64]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        c = np.asarray(self.codes)
        if c.ndim != 1 or not np.issubdtype(c.dtype, np.integer):
            raise ValueError("factor codes must be a 1-d integer array")
        if c.size and (c.min() < -1 or c.max() >= len(self.labels)):
            raise ValueError(f"factor codes must lie in -1..{len(self.labels) - 1}")

    @classmethod
    def from_values(cls, values: ArrayLike, labels: tuple[str, ...] | None = None) -> Factor:
        """Code ``values`` (None/NaN = missing). Labels: the given order, else the sorted distinct values."""
        v = pd.Series(np.asarray(values, dtype=object))
        if labels is None:
            codes, uniq = pd.factorize(v, sort=True)
            return cls(codes.astype(np.int64), tuple(str(u) for u in uniq))
        cat = pd.Categorical(v.map(lambda x: None if x is None or x != x else str(x)), categories=list(labels))
        unknown = v.notna() & (cat.codes == -1)
        if unknown.any():
            raise ValueError(f"values not among the labels {list(labels)}: {sorted(set(v[unknown].astype(str)))[:5]}")
        return cls(np.asarray(cat.codes, dtype=np.int64), tuple(labels))

    def __len__(self) -> int:
        return int(np.asarray(self.codes).shape[0])


def as_factor(groups: Factor | ArrayLike | None, n: int, what: str = "groups") -> Factor:
    """A Factor of length ``n``: a Factor as is, values coded, or None -> one group "all"."""
    if groups is None:
        return Factor(np.zeros(n, dtype=np.int64), ("all",))
    f = groups if isinstance(groups, Factor) else Factor.from_values(groups)
    if len(f) != n:
        raise ValueError(f"{what}: expected {n} values, got {len(f)}")
    return f


def _float(x: ArrayLike, n: int | None, what: str, allow_nan: bool = False) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        raise ValueError(f"{what}: expected a 1-d array of {n} values, got shape {a.shape}")
    bad = np.isinf(a) if allow_nan else ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{what}: {int(bad.sum())} values are not finite numbers")
    return a


@dataclass(frozen=True)
class CustomerTable:
    """One row per customer: key, dates (days since 1970-01-01), money per period and segment factors.

    ``margin`` is the contribution margin per period in money; without it the margin is revenue minus
    ``cost_to_serve`` (or the revenue when neither is given).
    """

    customer: NDArray[Any]
    since: NDArray[np.float64]
    until: NDArray[np.float64]
    revenue: NDArray[np.float64]
    margin: NDArray[np.float64] | None = None
    cost_to_serve: NDArray[np.float64] | None = None
    segments: Mapping[str, Factor] = field(default_factory=dict)
    keys_arrow: Any = field(default=None, repr=False, compare=False)
    """The keys as a pyarrow array when read from a file (`analytics.economics.io`), to match transactions."""

    def __post_init__(self) -> None:
        n = int(np.asarray(self.customer).shape[0])
        setattr_ = object.__setattr__
        setattr_(self, "since", _float(self.since, n, "since"))
        setattr_(self, "until", _float(self.until, n, "until (churned_on)", allow_nan=True))
        setattr_(self, "revenue", _float(self.revenue, n, "revenue"))
        if self.margin is not None:
            setattr_(self, "margin", _float(self.margin, n, "margin"))
        if self.cost_to_serve is not None:
            setattr_(self, "cost_to_serve", _float(self.cost_to_serve, n, "cost_to_serve"))
        early = self.until < self.since
        if early.any():
            raise ValueError(f"until (churned_on) before since for {int(early.sum())} customers")
        for name, f in self.segments.items():
            if len(f) != n:
                raise ValueError(f"segment {name!r}: expected {n} codes, got {len(f)}")

    @property
    def n(self) -> int:
        return int(self.since.shape[0])

    def period_margin(self) -> NDArray[np.float64]:
        """Margin per period: ``margin``, else revenue - cost_to_serve, else revenue."""
        if self.margin is not None:
            return self.margin
        if self.cost_to_serve is not None:
            return self.revenue - self.cost_to_serve
        return self.revenue

    def segment(self, name: str) -> Factor:
        if name not in self.segments:
            raise ValueError(f"no segment column {name!r}; have {sorted(self.segments)}")
        return self.segments[name]

    def tenure(self, as_of: float, period_days: float) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(tenure in periods, churned by ``as_of``) for customers who started on or before ``as_of``.

        tenure = (min(until, as_of) - since) / period_days. Raises ValueError when a customer starts after
        ``as_of`` (select the customers first).
        """
        if period_days <= 0:
            raise ValueError(f"period_days must be > 0, got {period_days}")
        late = self.since > as_of
        if late.any():
            raise ValueError(f"{int(late.sum())} customers start after as_of {as_of}")
        churned = self.until <= as_of  # NaN compares False: active
        end = np.where(churned, self.until, as_of)
        return (end - self.since) / period_days, churned


@dataclass(frozen=True)
class Transactions:
    """One row per purchase: ``customer`` is the row index into the CustomerTable (0 .. n_customers-1)."""

    customer: NDArray[np.int64]
    date: NDArray[np.float64]
    amount: NDArray[np.float64]
    n_customers: int

    def __post_init__(self) -> None:
        c = np.asarray(self.customer)
        if c.ndim != 1 or not np.issubdtype(c.dtype, np.integer):
            raise ValueError("transactions: customer must be a 1-d integer index array")
        n = c.shape[0]
        object.__setattr__(self, "date", _float(self.date, n, "transaction date"))
        object.__setattr__(self, "amount", _float(self.amount, n, "transaction amount"))
        if n and (c.min() < 0 or c.max() >= self.n_customers):
            raise ValueError(f"transactions: customer index outside 0..{self.n_customers - 1}")

    @property
    def n(self) -> int:
        return int(self.customer.shape[0])
