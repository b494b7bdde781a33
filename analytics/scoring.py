"""Raw answers to 0-100 scores (docs/methods.md section 2).

Every coded answer is an integer (docs/DESIGN.md): the raw scale value, ``-1`` (not answered) or ``-2``
(not applicable / don't know). Both negative codes become NaN: "not applicable" is missing, never zero.

Scoring is affine in the raw value, so a whole (n, k) matrix is scored with one multiply-add per column:

* ``percent_of_max``: s = x / max * 100 (the Chinese 100/80/60/40/20 practice on a 1-5 scale);
* ``linear``: s = (x - min) / (max - min) * 100 (the ACSI practice, Fornell et al. 1996);
* reverse-coded items are flipped first: x' = min + max - x.

Yes/no items use the implicit 0/1 scale scored linearly (no = 0, yes = 100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survey_defs.schema import MISSING_CODE, NA_CODE, Item, Scale, SurveyDefinition

__all__ = [
    "MISSING_CODE",
    "NA_CODE",
    "ItemScoring",
    "item_scoring",
    "score_codes",
    "score_matrix",
]


@dataclass(frozen=True)
class ItemScoring:
    """How one item's raw codes map to 0-100: ``score = offset + slope * x`` for valid codes.

    ``offset`` and ``slope`` already include reverse coding. ``min``/``max`` are the raw scale bounds and
    ``score_min``/``score_max`` the bounds of the score (e.g. 20 and 100 for a 1-5 percent-of-max scale).
    """

    item_id: str
    min: int
    max: int
    reverse: bool
    offset: float
    slope: float

    @property
    def score_min(self) -> float:
        return float(min(self.offset + self.slope * self.min, self.offset + self.slope * self.max))

    @property
    def score_max(self) -> float:
        return float(max(self.offset + self.slope * self.min, self.offset + self.slope * self.max))

    def oriented(self, raw: NDArray[np.floating]) -> NDArray[np.float64]:
        """Raw values after reverse coding (x' = min + max - x), NaN kept."""
        x: NDArray[np.float64] = np.asarray(raw, dtype=np.float64)
        return (self.min + self.max - x) if self.reverse else x


def _affine(scale_min: int, scale_max: int, scoring: str, reverse: bool) -> tuple[float, float]:
    if scoring == "percent_of_max":
        if scale_max <= 0:
            raise ValueError("percent_of_max scoring needs a scale whose maximum is positive")
        a, b = 0.0, 100.0 / scale_max
    elif scoring == "linear":
        a, b = -100.0 * scale_min / (scale_max - scale_min), 100.0 / (scale_max - scale_min)
    else:
        raise ValueError(f"unknown scoring convention {scoring!r}")
    if reverse:  # s(min + max - x) = a + b (min + max) - b x
        a, b = a + b * (scale_min + scale_max), -b
    return a, b


def item_scoring(definition: SurveyDefinition, item_id: str) -> ItemScoring:
    """The scoring rule of a likert, nps or yes_no item.

    Raises
    ------
    ValueError
        If the item does not exist or is a choice/text item (those have no score).
    """
    item: Item | None = definition.item_map.get(item_id)
    if item is None:
        raise ValueError(f"unknown item {item_id!r}")
    if item.type == "yes_no":
        lo, hi, scoring = 0, 1, "linear"
    elif item.type in ("likert", "nps"):
        scale: Scale = definition.scale_of(item_id)
        lo, hi, scoring = scale.min, scale.max, scale.scoring
    else:
        raise ValueError(f"item {item_id!r} is a {item.type} item and has no score")
    a, b = _affine(lo, hi, scoring, item.reverse)
    return ItemScoring(item_id=item_id, min=lo, max=hi, reverse=item.reverse, offset=a, slope=b)


def score_codes(codes: ArrayLike, rule: ItemScoring) -> NDArray[np.float64]:
    """Score one item's codes: valid codes -> offset + slope * x, negative codes (missing, N/A) -> NaN.

    Codes outside ``min..max`` that are not ``-1``/``-2`` raise ``ValueError`` naming the item.
    """
    c = np.asarray(codes)
    out = rule.offset + rule.slope * c.astype(np.float64)
    valid = c >= 0  # scales start at 0 or above; -1 and -2 are the missing and N/A codes
    bad = valid & ((c < rule.min) | (c > rule.max))
    if bad.any():
        raise ValueError(
            f"item {rule.item_id!r}: code {int(c[bad].flat[0])} is outside the scale {rule.min}..{rule.max}"
        )
    out[~valid] = np.nan
    return out


def score_matrix(codes: NDArray[np.integer], rules: list[ItemScoring]) -> NDArray[np.float64]:
    """Score an (n, k) code matrix column by column in one vectorised pass.

    Returns an (n, k) float64 array with NaN for missing and N/A answers.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != len(rules):
        raise ValueError(f"code matrix has shape {codes.shape}, expected (n, {len(rules)}) for the given items")
    if not rules:
        return np.empty(codes.shape, dtype=np.float64)
    lo = np.array([r.min for r in rules])
    hi = np.array([r.max for r in rules])
    valid = codes >= 0
    bad = valid & ((codes < lo) | (codes > hi))
    if bad.any():
        j = int(np.nonzero(bad.any(axis=0))[0][0])
        raise ValueError(
            f"item {rules[j].item_id!r}: code {int(codes[bad[:, j], j][0])} is outside the scale "
            f"{rules[j].min}..{rules[j].max}"
        )
    a = np.array([r.offset for r in rules])
    b = np.array([r.slope for r in rules])
    out = codes * b  # float64 (int16 * float64)
    out += a
    out[~valid] = np.nan
    return out
