"""Not asked (-3, hidden by show_if) is structurally missing: scored NaN, counted neither as non-response nor
as N/A, in the full analysis and in the streamed summary alike."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.analyze import analyze
from analytics.itemstats import OFFSET, code_histogram
from analytics.simulate import simulate
from analytics.streaming import summarize
from survey_defs import load_template
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, NA_CODE


def test_histogram_has_a_column_for_not_asked() -> None:
    codes = np.array([[HIDDEN_CODE], [NA_CODE], [MISSING_CODE], [MISSING_CODE], [3]], dtype=np.int16)
    c0, _, _ = code_histogram(codes, None, 5)
    assert OFFSET == 3 and c0[0, :OFFSET + 1].tolist() == [1, 1, 2, 0] and c0[0, 3 + OFFSET] == 1
    with pytest.raises(ValueError):
        code_histogram(np.array([[-4]], dtype=np.int16), None, 5)


def test_analysis_counts_not_asked_apart_from_missing_and_na() -> None:
    d = load_template("utility_csi")
    data = simulate(d, 300, random_state=5, missing=0.05)
    codes = data.codes("q_complaint_handling_sat")
    n_hidden = int((codes == HIDDEN_CODE).sum())
    n_missing = int((codes == MISSING_CODE).sum())
    assert 0 < n_hidden < 300 and n_missing > 0
    assert ((codes == HIDDEN_CODE) == (data.codes("q_complained") != 1)).all()
    full = analyze(d, data, exclude_flags=False, n_boot=0)["items"]["q_complaint_handling_sat"]
    assert full["n_hidden"] == n_hidden and full["n_missing"] == n_missing and full["n_na"] == 0
    assert full["n"] == 300 - n_hidden - n_missing
    assert np.isnan(data.scores("q_complaint_handling_sat")[codes == HIDDEN_CODE]).all()
    streamed = summarize(d, data, chunk_rows=120, exclude_flags=False)["items"]["q_complaint_handling_sat"]
    assert {k: streamed[k] for k in ("n", "n_missing", "n_na", "n_hidden")} == \
        {k: full[k] for k in ("n", "n_missing", "n_na", "n_hidden")}
