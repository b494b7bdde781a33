"""Request bodies shared by the service tests."""

from __future__ import annotations

from typing import Any


def good_submission(**over: Any) -> dict[str, Any]:
    """A complete, valid utility_csi response rating our brand and one competitor."""
    brand = {
        "q_reliability": 5, "q_voltage": 4, "q_outage_notice": "NA", "q_restore": 4, "q_hall": 4,
        "q_hotline": 3, "q_online": 5, "q_install": 4, "q_complaint_handling": 3, "q_price": 3,
        "q_bill_clear": 4, "q_payment": 5, "q_billing_errors": 2, "q_trust": 4, "q_social": 4,
    }
    body: dict[str, Any] = {
        "answers": {
            "q_customer_type": "residential", "q_region": "urban", "q_usage": "100-300", "q_overall": 4,
            "q_sat_expect": 4, "q_sat_ideal": 3, "q_recommend": 8, "q_continue": 5, "q_complained": False,
            "q_age": "35-49",
            "q_comment": "停电通知要更及时 <b>bold</b>",
        },
        "brands": {"jiangcheng": dict(brand), "hengyuan": {**brand, "q_reliability": 3}},
        "wave": "2026H1",
        "started_at": "2026-05-01T08:00:00Z",
        "submitted_at": "2026-05-01T08:07:30Z",
    }
    body.update(over)
    return body
