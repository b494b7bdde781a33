"""A realistic synthetic population for the demo, drawn from a latent model rather than uniform noise.

Each respondent has a general disposition; each brand they rate has a latent satisfaction built from the brand's
level, a wave effect (our brand improves between waves), segment effects (rural customers are less served) and
dimension offsets (our prices and hotline are weak spots, our reliability a strength). Items are ordinal cuts of
their dimension's latent plus noise, so items correlate, dimensions differ and the indicator tree has something to
find. Overall satisfaction (three items) follows from the dimensions; loyalty (staying, recommending) from
satisfaction, image, lack of choice and complaints. A few respondents speed through or straight-line the grid, as
in real fieldwork, and some leave comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survey_defs.codebook import codebook_of
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

# Overall-satisfaction items relative to q_overall's latent: "compared with what you expected" runs a little lower,
# "compared with an ideal service" lower still (the ACSI's confirmation and ideal items behave that way).
SAT_OFFSET = {"q_sat_expect": -0.15, "q_sat_ideal": -0.4, "q_complaint_handling_sat": -0.8}

# Comments as respondents write them: many distinct remarks, some common ones repeated, a few in English.
COMMENTS_NEG = [
    ("停电前的通知太晚了，希望至少提前一天告知。", "Outage notices come too late; tell us a day ahead."),
    ("客服热线总是占线，等了二十多分钟。", "The hotline is always busy; I waited over twenty minutes."),
    ("电价偏高，阶梯电价说明不清楚。", "Prices are high and the tiered tariff is not explained clearly."),
    ("投诉后一直没有人回复。", "Nobody got back to me after I complained."),
    ("农村线路老化，电压不稳。", "Old lines in the village; the voltage is unstable."),
    ("夏天用电高峰经常跳闸。", "The power trips often at summer peak times."),
    ("抢修要等半天，晚上停电很不方便。", "Repairs take half a day; outages at night are a real problem."),
    ("上个月电费突然翻倍，也没人解释。", "Last month's bill suddenly doubled and nobody explained why."),
    ("营业厅排队时间太长，窗口开得太少。", "Long queues at the service hall; too few counters open."),
    ("APP经常闪退，交费还得去营业厅。", "The app keeps crashing, so I still have to pay at the hall."),
    ("计划停电的时间和通知的不一致。", "Planned outages did not match the times in the notice."),
    ("申请增容拖了一个多月才办好。", "A capacity increase took more than a month."),
    ("灯光经常闪，家电都不敢开。", "The lights flicker so often I am afraid to use appliances."),
    ("热线转了三次人工才有人接。", "The hotline passed me on three times before a person answered."),
]
COMMENTS_MIXED = [
    ("总体还可以，就是停电通知要更及时。", "Mostly fine, but outage notices should come sooner."),
    ("服务态度不错，但电价还是有点贵。", "Friendly service, but the price is still a bit high."),
    ("线上交费方便了，希望账单再清楚一些。", "Paying online is easier now; the bill could be clearer."),
    ("希望抢修进度能在APP上查到。", "I would like to follow repair progress in the app."),
    ("电压基本稳定，偶尔晚上会暗一点。", "The voltage is mostly stable, a little low some evenings."),
    ("建议多开展安全用电宣传。", "Please do more to promote electrical safety."),
]
COMMENTS_POS = [
    ("抢修人员来得很快，态度也好。", "The repair crew came quickly and were friendly."),
    ("手机上缴费很方便。", "Paying on the phone is very convenient."),
    ("营业厅工作人员耐心细致。", "Staff at the service hall are patient and careful."),
    ("这几年停电明显少了。", "Outages have become much rarer in recent years."),
    ("新装电表很快就装好了，点赞。", "The new meter was installed quickly. Well done."),
    ("停电前都会短信通知，很贴心。", "They always text before an outage; very thoughtful."),
    ("客服解答很专业，一次就解决了问题。", "The hotline agent knew the answer and solved it in one call."),
    ("电费账单清楚明白。", "The bills are clear and easy to follow."),
    ("供电很稳定，没什么意见。", "Supply is very stable; no complaints."),
]


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
    book = codebook_of(d)
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
            complained = bool(rng.random() < 1 / (1 + np.exp(2.2 + 1.5 * dims_own["service"])))
            # Loyalty is its own latent: satisfaction drives it, but so do the image and the lack of choice (rural
            # customers stay whatever they think), and a complaint lowers it; so "satisfied" and "loyal" differ.
            loyal_lat = (0.6 * overall_lat + 0.2 * dims_own["image"] + (0.45 if rural else 0.0)
                         - (0.3 if complained else 0.0) + rng.normal(0, 0.45))
            for item_id in d.respondent_item_ids:
                it = d.item(item_id)
                if it.segment:
                    continue
                if it.type == "yes_no" and item_id == "q_complaint_resolved":
                    answers[item_id] = bool(rng.random() < 1 / (1 + np.exp(-0.4 - 1.2 * dims_own["service"])))
                elif it.type == "yes_no":
                    answers[item_id] = complained
                elif it.type in ("likert", "nps"):
                    sc = d.scale_of(item_id)
                    if d.loyalty is not None and item_id in (d.loyalty.loyalty_item, d.loyalty.nps_item):
                        lat = loyal_lat + (0.3 if it.type == "nps" else -0.1)
                    else:
                        lat = overall_lat + SAT_OFFSET.get(item_id, 0.0)
                    answers[item_id] = _ordinal(lat + rng.normal(0, 0.4), sc.points, sc.min)
            # Items the answers hide (show_if: the complaint follow-ups of those who did not complain) are not asked.
            hidden = book.hidden(answers, brands)
            for item_id in hidden.items:
                answers.pop(item_id, None)
            if d.text_item_ids and kind == "normal" and rng.random() < 0.3:
                pool = COMMENTS_NEG if overall_lat < -0.1 else COMMENTS_POS if overall_lat > 0.7 else (
                    COMMENTS_MIXED if rng.random() < 0.6 else COMMENTS_NEG if overall_lat < 0.3 else COMMENTS_POS)
                # the common complaints are the most frequent, as in real fieldwork (Zipf-like)
                p = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
                zh, en = pool[int(rng.choice(len(pool), p=p / p.sum()))]
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
