"""Bad input is a ValueError that names the offending item, construct or path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pls import PLSPathModel
from tests.analytics.pls.conftest import SMALL_BLOCKS, SMALL_PATHS


def fit(data: pd.DataFrame, blocks=SMALL_BLOCKS, paths=SMALL_PATHS, **kw) -> PLSPathModel:  # type: ignore[no-untyped-def]
    return PLSPathModel(blocks, paths, **kw).fit(data)


def test_constant_indicator_is_named(small_data: pd.DataFrame) -> None:
    df = small_data.assign(m2=3.0)
    with pytest.raises(ValueError, match=r"item 'm2' is constant"):
        fit(df)


def test_constant_after_casewise_deletion_is_named(small_data: pd.DataFrame) -> None:
    df = small_data.copy()
    df.loc[df.index[10:], "y1"] = np.nan
    df.loc[df.index[:10], "x1"] = 1.0
    with pytest.raises(ValueError, match=r"item 'x1' is constant"):
        fit(df, missing="casewise")


def test_item_in_two_blocks_is_named(small_data: pd.DataFrame) -> None:
    blocks = {**SMALL_BLOCKS, "M": ["m1", "x2"]}
    with pytest.raises(ValueError, match=r"item 'x2' is listed in the blocks of both 'X' and 'M'"):
        fit(small_data, blocks)


def test_item_twice_in_one_block(small_data: pd.DataFrame) -> None:
    blocks = {**SMALL_BLOCKS, "M": ["m1", "m1"]}
    with pytest.raises(ValueError, match=r"item 'm1' is listed twice in the block of 'M'"):
        fit(small_data, blocks)


def test_construct_without_items_is_named(small_data: pd.DataFrame) -> None:
    blocks = {**SMALL_BLOCKS, "M": []}
    with pytest.raises(ValueError, match=r"construct 'M' has no items"):
        fit(small_data, blocks)


def test_path_to_unknown_construct_is_named(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"unknown construct 'Z'"):
        fit(small_data, paths=[*SMALL_PATHS, ("Y", "Z")])


def test_cyclic_inner_model_names_the_cycle(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"cyclic inner model: Y -> M -> Y"):
        fit(small_data, paths=[*SMALL_PATHS, ("Y", "M")])
    with pytest.raises(ValueError, match=r"cyclic inner model"):
        fit(small_data, paths=[("X", "X"), *SMALL_PATHS])
    blocks = {c: [c.lower()] for c in "ABCD"}
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 4)), columns=list("abcd"))
    with pytest.raises(ValueError, match=r"cyclic inner model: B -> C -> A -> B"):
        fit(df, blocks, [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")])


def test_too_few_rows_names_the_construct(small_data: pd.DataFrame) -> None:
    # Y regresses on 2 predecessors: it needs at least 4 rows.
    with pytest.raises(ValueError, match=r"3 usable rows: construct 'Y' needs at least 4"):
        fit(small_data.iloc[:3])
    fit(small_data.iloc[:6])


def test_too_few_rows_for_mode_b_block(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"construct 'X' needs at least 5"):
        fit(small_data.iloc[:4], mode={"X": "B"})


def test_too_few_complete_rows_after_casewise(small_data: pd.DataFrame) -> None:
    df = small_data.copy()
    df.loc[df.index[3:], "y3"] = np.nan
    with pytest.raises(ValueError, match=r"construct 'Y' needs at least 4"):
        fit(df, missing="casewise")


def test_missing_column_is_named(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"item 'y3' is not a column"):
        fit(small_data.drop(columns="y3"))


def test_non_numeric_and_all_missing_items_are_named(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"item 'x1' is not numeric"):
        fit(small_data.assign(x1="a"))
    with pytest.raises(ValueError, match=r"item 'x1' has no observed values"):
        fit(small_data.assign(x1=np.nan))


def test_construct_on_no_path_is_named(small_data: pd.DataFrame) -> None:
    blocks = {**SMALL_BLOCKS, "Z": ["z1"]}
    with pytest.raises(ValueError, match=r"construct 'Z' is on no path"):
        fit(small_data.assign(z1=small_data["x1"]), blocks)


def test_bad_options(small_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="scheme"):
        fit(small_data, scheme="mystery")
    with pytest.raises(ValueError, match="missing"):
        fit(small_data, missing="drop")
    with pytest.raises(ValueError, match=r"construct 'M': mode must be"):
        fit(small_data, mode={"M": "C"})
    with pytest.raises(ValueError, match=r"mode given for unknown construct 'Q'"):
        fit(small_data, mode={"Q": "A"})
    with pytest.raises(ValueError, match=r"path \('X', 'M'\) is listed twice"):
        fit(small_data, paths=[*SMALL_PATHS, ("X", "M")])


def test_collinear_mode_b_block_is_named(small_data: pd.DataFrame) -> None:
    df = small_data.assign(x3=small_data["x1"] * 2 + 1)
    with pytest.raises(ValueError, match=r"construct 'X' \(mode B\)"):
        fit(df, mode={"X": "B"})


def test_unfitted_model_says_so() -> None:
    with pytest.raises(AttributeError, match="not fitted"):
        PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).summary()


def test_constructor_has_no_logic() -> None:
    m = PLSPathModel({"A": []}, [("A", "B")], scheme="nonsense")  # errors surface at fit, sklearn-style
    assert m.scheme == "nonsense"
