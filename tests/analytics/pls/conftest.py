"""Shared fixtures for the PLS tests: small simulated ECSI data and a tiny hand-checkable model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pls.datasets import ECSI_BLOCKS, ECSI_PATHS, simulate

ECSI_PATH_LIST = list(ECSI_PATHS)


@pytest.fixture(scope="session")
def ecsi_data() -> pd.DataFrame:
    """400 respondents on 1-10 items from the simulated ECSI population."""
    return simulate(400, random_state=11, likert=(1, 10))


@pytest.fixture(scope="session")
def small_data() -> pd.DataFrame:
    """A 3-construct chain X -> M -> Y (plus X -> Y), 60 rows, continuous."""
    blocks = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2"], "Y": ["y1", "y2", "y3"]}
    paths = {("X", "M"): 0.5, ("M", "Y"): 0.4, ("X", "Y"): 0.2}
    return simulate(60, blocks, paths, item_corr=0.5, random_state=5)


SMALL_BLOCKS = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2"], "Y": ["y1", "y2", "y3"]}
SMALL_PATHS = [("X", "M"), ("M", "Y"), ("X", "Y")]


def standardise(df: pd.DataFrame) -> pd.DataFrame:
    return (df - df.mean()) / df.std(ddof=1)


def ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients (without intercept) and R² of an OLS of y on X with an intercept."""
    A = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ beta
    r2 = 1.0 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
    return beta[1:], float(r2)


__all__ = ["ECSI_BLOCKS", "ECSI_PATH_LIST", "SMALL_BLOCKS", "SMALL_PATHS", "ols", "standardise"]
