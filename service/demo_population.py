"""A realistic synthetic population for the demo, drawn from a latent model rather than uniform noise.

Each respondent has a general disposition; each brand they rate has a latent satisfaction built from the brand's
level, a wave effect (our brand improves between waves), segment effects (rural customers are less served) and
dimension offsets (our prices and hotline are weak spots, our reliability a strength). Items are ordinal cuts of
their dimension's latent plus noise, so items correlate, dimensions differ and the indicator tree has something to
find. Overall satisfaction, recommendation and loyalty follow from the dimensions. A few respondents speed through
or straight-line the grid, as in real fieldwork, and some leave comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survey_defs.schema import SurveyDefinition

# Dimension of each utility_csi brand item (the template's level-1 nodes).
DIMENSION = {
    "q_reliability": "quality", "q_voltage": "quality", "q_outage_notice": "quality", "q_restore": "quality",
    "q_hall": "service", "q_hotline": "service", "q_online": "service", "q_install": "service",
    "q_complaint_handling": "service", "q_price": "price", "q_bill_clear": "price", "q_payment": "price",
    "q_billing_errors": "price", "q_trust": "image", "q_social": "image",
}
BRAND_LEVEL = {"jiangcheng": 0.35, "hengyuan": 0.15, "xinda": -0.2}
# Our brand's weak and strong spots, relative to its level.
ITEM_OFFSET = {"q_price": -0.55, "q_hotline": -0.5, "q_outage_notice": -0.35, "q_complaint_handling": -0.3,
               "q_reliability": 0.35, "q_payment": 0.4, "q_online": 0.2}

COMMENTS_NEG = [
    ("停电前的通知太晚了，希望至少提前一天告知。", "Outage notices come too late; tell us a day ahead."),
    ("客服热线总是占线，等了二十多分钟。", "The hotline is always busy; I waited over twenty minutes."),
    ("电价偏高，阶梯电价说明不清楚。", "Prices are high and the tiered tariff is not explained clearly."),
    ("投诉后一直没有人回复。", "Nobody got back to me after I complained."),
    ("农村线路老化，电压不稳。", "Old lines in the village; the voltage is unstable."),
]
COMMENTS_POS = [
    ("抢修人员来得很快，态度也好。", "The repair crew came quickly and were friendly."),
    ("手机上缴费很方便。", "Paying on the phone is very convenient."),
    ("营业厅工作人员耐心细致。", "Staff at the service hall are patient and careful."),
    ("这几年停电明显少了。", "Outages have become much rarer in recent years."),
]
COMMENTS_ODD = [("<script>alert('x')</script> 账单上的字太小 & 看不清", "<b>Bill</b> font is tiny & hard to read")]


@dataclass(frozen=True)
class Respondent:
    body: dict[str, Any]
    kind: str  # normal, speeder or straightliner


def _ordinal(latent: float, k: int, lo: int) -> int:
    """Cut a latent N(0,1)-ish value into k ordered points with realistic (top-heavy) thresholds."""
    cuts = np.linspace(-1.9, 1.1, k - 1) if k <= 7 else np.linspace(-2.2, 1.6, k - 1)
    return lo + int(np.searchsorted(cuts, latent))


def population(d: SurveyDefinition, n_per_wave: int = 1200, seed: int = 2026) -> list[Respondent]:
    """Respondents for every wave of a utility_csi-shaped definition, as collector API request bodies."""
    rng = np.random.default_rng(seed)
    waves = d.wave_ids() or [None]
    seg_p = {"q_region": [0.5, 0.3, 0.2], "q_customer_type": [0.85, 0.15], "q_usage": [0.25, 0.45, 0.22, 0.08],
             "q_age": [0.04, 0.28, 0.32, 0.24, 0.12]}
    own = d.own_brand.id
    out: list[Respondent] = []
    for w_idx, wave in enumerate(waves):
        wave_effect = 0.18 * w_idx
        month = 11 if w_idx == 0 else 5
        year = 2025 if w_idx == 0 else 2026
        for _ in range(n_per_wave):
            answers: dict[str, Any] = {}
            seg_idx: dict[str, int] = {}
            for item_id in d.segment_item_ids:
                opts = d.item(item_id).options or []
                p = seg_p.get(item_id, [1 / len(opts)] * len(opts))
                k = int(rng.choice(len(opts), p=np.asarray(p) / sum(p)))
                seg_idx[item_id] = k
                answers[item_id] = opts[k].code
            rural = seg_idx.get("q_region") == 2
            person = rng.normal(0, 0.6)
            kind = "speeder" if rng.random() < 0.04 else "straightliner" if rng.random() < 0.03 else "normal"
            rated = [own] + [b for b in d.brand_ids if b != own and rng.random() < (0.55 if b == "hengyuan" else 0.4)]
            brands: dict[str, dict[str, Any]] = {}
            dims_own: dict[str, float] = {}
            for b in rated:
                level = BRAND_LEVEL.get(b, 0.0) + person + (wave_effect if b == own else 0.03 * w_idx)
                level -= 0.35 if (rural and b == own) else 0.0
                dim_lat = {dim: level + rng.normal(0, 0.45) for dim in ("quality", "service", "price", "image")}
                if b == own:
                    dims_own = dim_lat
                ratings: dict[str, Any] = {}
                flat = _ordinal(level + 0.5, 5, 1)
                for item_id in d.brand_item_ids:
                    it = d.item(item_id)
                    sc = d.scale_of(item_id)
                    if kind == "straightliner":
                        v = flat if not it.reverse else sc.min + sc.max - flat
                    elif kind == "speeder":
                        v = int(rng.integers(sc.min, sc.max + 1))
                    else:
                        lat = dim_lat.get(DIMENSION.get(item_id, "quality"), level)
                        lat += ITEM_OFFSET.get(item_id, 0.0) if b == own else 0.0
                        v = _ordinal(lat + rng.normal(0, 0.55), sc.points, sc.min)
                        if it.reverse:
                            v = sc.min + sc.max - v
                    if it.allow_na and kind == "normal" and rng.random() < 0.05:
                        ratings[item_id] = "NA"
                    else:
                        ratings[item_id] = v
                brands[b] = ratings
            overall_lat = (0.35 * dims_own["quality"] + 0.3 * dims_own["service"] + 0.2 * dims_own["price"]
                           + 0.15 * dims_own["image"] + rng.normal(0, 0.35))
            for item_id in d.respondent_item_ids:
                it = d.item(item_id)
                if it.segment:
                    continue
                if it.type == "yes_no":
                    answers[item_id] = bool(rng.random() < 1 / (1 + np.exp(2.2 + 1.5 * dims_own["service"])))
                elif it.type in ("likert", "nps"):
                    sc = d.scale_of(item_id)
                    bump = 0.25 if it.type == "nps" else 0.0
                    answers[item_id] = _ordinal(overall_lat + bump + rng.normal(0, 0.4), sc.points, sc.min)
            if d.text_item_ids and kind == "normal" and rng.random() < 0.3:
                pool = COMMENTS_NEG if overall_lat < 0.2 else COMMENTS_POS
                if rng.random() < 0.02:
                    pool = COMMENTS_ODD
                zh, en = pool[int(rng.integers(len(pool)))]
                answers[d.text_item_ids[0]] = zh if rng.random() < 0.85 else en
            day = int(rng.integers(1, 28))
            minutes = float(rng.lognormal(np.log(8.0), 0.35)) if kind != "speeder" else float(rng.uniform(0.8, 1.6))
            start = np.datetime64(f"{year}-{month:02d}-{day:02d}T08:00:00") + np.timedelta64(
                int(rng.integers(0, 12 * 3600)), "s")
            end = start + np.timedelta64(int(minutes * 60), "s")
            body = {
                "answers": answers,
                "brands": brands,
                "wave": wave,
                "channel": "web" if rng.random() < 0.7 else "phone",
                "started_at": f"{start}Z",
                "submitted_at": f"{end}Z",
            }
            out.append(Respondent(body, kind))
    return out
