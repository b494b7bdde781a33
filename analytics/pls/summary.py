"""The ``summary()`` of a fitted PLS path model: named DataFrames, printable as text or HTML."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd


@dataclass(frozen=True)
class PLSSummary:
    """Estimates and quality criteria of a fitted :class:`~analytics.pls.PLSPathModel`, one DataFrame each.

    Attributes
    ----------
    info : model-level facts (rows used, scheme, iterations, convergence, missing-data treatment)
    paths : one row per path: source, target, coefficient, f², inner VIF
    r2 : R² and adjusted R² per endogenous construct
    outer : one row per item: construct, mode, weight, loading, item VIF
    reliability : Cronbach's alpha, ρ_A, ρ_C and AVE per construct
    htmt : HTMT matrix
    htmt_pairs : every construct pair's HTMT with its flag ("> 0.85", "> 0.90")
    fornell_larcker : √AVE on the diagonal, construct correlations below
    cross_loadings : correlation of every item with every construct
    effects : direct, indirect and total effect for every pair with a total effect
    """

    info: pd.Series
    paths: pd.DataFrame
    r2: pd.DataFrame
    outer: pd.DataFrame
    reliability: pd.DataFrame
    htmt: pd.DataFrame
    htmt_pairs: pd.DataFrame
    fornell_larcker: pd.DataFrame
    cross_loadings: pd.DataFrame
    effects: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame | pd.Series]:
        """All sections by name, in display order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        parts = []
        for name, table in self.tables().items():
            parts.append(f"== {name} ==\n{table.to_string()}")
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        parts = []
        for name, table in self.tables().items():
            frame = table.to_frame() if isinstance(table, pd.Series) else table
            parts.append(f"<h4>{name}</h4>{frame.to_html(float_format=lambda v: f'{v:.3f}')}")
        return "\n".join(parts)
