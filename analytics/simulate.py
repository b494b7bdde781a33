"""Synthetic responses from a one-factor latent model, for tests, benchmarks and demos.

Each (respondent, brand) has a latent satisfaction eta ~ N(mu_brand, 1); each scored item's raw answer is
round(mid + spread * (loading * eta + e)) clipped to the scale (reverse-coded items are flipped), so items
correlate positively and brands differ. Choice items are drawn uniformly; missing and N/A answers are
sprinkled at the requested rates. Items the simulated answers hide (``show_if``) are stored as not asked (-3),
as the codebook decides for real respondents. Entirely vectorised: 10^6 respondents x 30 items take about a second.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from survey_defs.codebook import codebook_of
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, NA_CODE, SurveyDefinition

__all__ = ["simulate"]


def _item_codes(
    d: SurveyDefinition,
    item_id: str,
    eta: NDArray[np.float64],
    rng: np.random.Generator,
    missing: float,
    na: float,
) -> NDArray[np.int16]:
    it = d.item(item_id)
    shape = eta.shape
    if it.type == "choice":
        out = rng.integers(0, len(it.options or [1]), size=shape).astype(np.int16)
    elif it.type == "yes_no":
        out = (eta + rng.standard_normal(shape) > 0).astype(np.int16)
    else:
        sc = d.scale_of(item_id)
        mid = (sc.min + sc.max) / 2
        spread = (sc.max - sc.min) / 4
        x = np.rint(mid + spread * (0.8 * eta + 0.6 * rng.standard_normal(shape)))
        x = np.clip(x, sc.min, sc.max)
        if it.reverse:
            x = sc.min + sc.max - x
        out = x.astype(np.int16)
    if missing > 0:
        out[rng.random(shape) < missing] = MISSING_CODE
    if na > 0 and it.allow_na:
        out[rng.random(shape) < na] = NA_CODE
    return out


def _hide(d: SurveyDefinition, resp: NDArray[np.int16], brand: NDArray[np.int16]) -> None:
    """Set the codes each respondent's own answers hide to -3, in place (brand by brand for per-brand items)."""
    book = codebook_of(d)
    if not book.visibility.any:
        return
    if not d.brand_item_ids:
        hr, _, _ = book.hidden_rows(resp, None)
        resp[hr] = HIDDEN_CODE
        return
    hidden_resp = np.zeros(resp.shape, dtype=bool)
    for b in range(len(d.brand_ids)):
        rated = (brand[:, b, :] != MISSING_CODE).any(axis=1)
        hr, hb, _ = book.hidden_rows(resp, brand[:, b, :])
        hidden_resp |= hr
        brand[:, b, :][hb & rated[:, None]] = HIDDEN_CODE
    resp[hidden_resp] = HIDDEN_CODE


def simulate(
    definition: SurveyDefinition,
    n: int,
    *,
    random_state: int | np.random.Generator | None = 0,
    brand_means: dict[str, float] | None = None,
    rate_probability: float = 1.0,
    missing: float = 0.0,
    na: float = 0.0,
    weighted: bool = False,
    durations: bool = True,
) -> ResponseData:
    """Simulate ``n`` respondents.

    Parameters
    ----------
    brand_means : latent mean per brand (default: own brand 0.5, competitors 0.0, -0.3, ...).
    rate_probability : chance that a respondent rates each competitor (the own brand is always rated).
    missing, na : per-answer rates of not answered and (for ``allow_na`` items) not applicable.
    weighted : attach log-normal survey weights.
    durations : fill started_at / submitted_at with log-normal completion times around 8 minutes.
    """
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    d = definition
    nb = len(d.brand_ids)
    own = d.brand_ids.index(d.own_brand.id)
    if brand_means is None:
        others = iter([0.0, -0.3, 0.2, -0.5, 0.1, -0.1, 0.3, -0.2])
        brand_means = {b: (0.5 if k == own else next(others, 0.0)) for k, b in enumerate(d.brand_ids)}
    mu = np.array([brand_means.get(b, 0.0) for b in d.brand_ids])
    person = rng.standard_normal(n)
    eta_b = mu[None, :] + 0.6 * person[:, None] + 0.8 * rng.standard_normal((n, nb))  # (n, nb)
    resp = np.empty((n, len(d.respondent_item_ids)), dtype=np.int16)
    eta_r = eta_b[:, own]
    for j, item_id in enumerate(d.respondent_item_ids):
        resp[:, j] = _item_codes(d, item_id, eta_r, rng, missing, na)
    brand = np.empty((n, nb, len(d.brand_item_ids)), dtype=np.int16)
    for j, item_id in enumerate(d.brand_item_ids):
        brand[:, :, j] = _item_codes(d, item_id, eta_b, rng, missing, na)
    if d.brand_item_ids and nb > 1:
        not_rated = rng.random((n, nb)) >= rate_probability
        not_rated[:, own] = False
        brand[not_rated] = MISSING_CODE
    _hide(d, resp, brand)
    waves = d.wave_ids()
    wave = np.asarray(waves, dtype=object)[rng.integers(0, len(waves), n)] if waves else None
    started = submitted = None
    if durations:
        started = 1.7e9 + rng.uniform(0, 86400 * 30, n)
        submitted = started + 480 * rng.lognormal(0, 0.4, n)
    weight = rng.lognormal(0, 0.3, n) if weighted else None
    return ResponseData.from_arrays(
        d, resp, brand, wave=wave, started_at=started, submitted_at=submitted, weight=weight
    )
