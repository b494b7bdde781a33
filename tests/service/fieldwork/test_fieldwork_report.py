"""Fieldwork counts and AAPOR RR1/RR2 on a constructed case worked out by hand, via the API (analyst key)."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.invitations.schemas import InviteeIn
from service.invitations.service import create_invitations
from tests.service.fieldwork.common import publish_with_invitation


def test_constructed_case(client: TestClient, engine: Engine, analyst: dict[str, str]) -> None:
    """10 invitations, states set in the store: 4 complete, 2 partial (answers in a draft, not submitted), 1 opened
    without an answer, 1 unsubscribed, 1 bounced, 1 delivered and never opened.

    AAPOR: I = 4, P = 2, R = opened-no-answer + unsubscribed = 2, U = bounced + not opened = 2, NE = 0.
    RR1 = 4 / 10 = 0.4; RR2 = (4 + 2) / 10 = 0.6. Stratum "a" holds the 4 completes and 1 partial (5 invited):
    RR1 = 0.8, RR2 = 1.0; stratum "b": RR1 = 0, RR2 = 1/5.
    """
    ref = publish_with_invitation(engine)
    people = [InviteeIn(customer_ref=f"R{i}", email=f"r{i}@example.com", stratum="a" if i < 5 else "b")
              for i in range(10)]
    issued, _ = create_invitations(engine, ref, 10, invitees=people, secret="s" * 40)
    ids = [int(i.invitation_id or 0) for i in issued]
    day = 86400.0
    t0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC = 08:00 in Asia/Shanghai
    with engine.begin() as c:
        for k, iid in enumerate(ids):
            status = "bounced" if k == 8 else "sent"
            c.execute(text("INSERT INTO invitation_send (survey_id, invitation_id, channel, kind, status, queued_at) "
                           "VALUES (:s, :i, 'email', 'invite', :st, :t)"), {"s": ref.id, "i": iid, "st": status,
                                                                            "t": t0})
        for k in range(4):  # completes on two days
            c.execute(text("UPDATE invitation SET used_at = :t, opened_at = :t WHERE id = :i"),
                      {"t": t0 + day * (k // 2), "i": ids[k]})
            c.execute(text(
                "INSERT INTO response (survey_id, version_id, channel, submitted_at, received_at, token_hash, answers,"
                " brand_answers) SELECT :s, :v, 'web', :t, :t, token_hash, :b, :b FROM invitation WHERE id = :i"),
                {"s": ref.id, "v": ref.version_id, "t": t0 + day * (k // 2), "b": b"", "i": ids[k]})
        for k, answers in ((4, {"q_overall": "4"}), (5, {"q_region": "urban"}), (6, {})):
            c.execute(text(
                "INSERT INTO draft (id, survey_id, version_id, token_hash, answers, brands, page, started_at, "
                "updated_at) SELECT :d, :s, :v, token_hash, :a, :b, 1, :t, :t FROM invitation WHERE id = :i"),
                {"d": f"draft{k}", "s": ref.id, "v": ref.version_id, "a": json.dumps(answers),
                 "b": json.dumps({"chosen": ["jiangcheng"], "answers": {}}), "t": time.time(), "i": ids[k]})
        c.execute(text("UPDATE invitation SET unsubscribed_at = :t WHERE id = :i"), {"t": t0, "i": ids[7]})

    assert client.get("/api/v1/surveys/utility_csi/fieldwork").status_code == 401
    r = client.get("/api/v1/surveys/utility_csi/fieldwork", headers=analyst)
    assert r.status_code == 200, r.text
    fw = r.json()
    o = fw["overall"]
    assert {k: o[k] for k in ("invited", "delivered", "opened", "partial", "complete", "screened_out",
                              "unsubscribed")} == {"invited": 10, "delivered": 9, "opened": 7, "partial": 2,
                                                   "complete": 4, "screened_out": 0, "unsubscribed": 1}
    assert o["aapor"] == {"I": 4, "P": 2, "R": 2, "NC": 0, "O": 0, "U": 2, "NE": 0}
    assert o["rr1"] == 0.4 and o["rr2"] == 0.6
    assert (fw["by_stratum"]["a"]["rr1"], fw["by_stratum"]["a"]["rr2"]) == (0.8, 1.0)
    assert (fw["by_stratum"]["b"]["rr1"], fw["by_stratum"]["b"]["rr2"]) == (0.0, 0.2)
    assert fw["completes_per_day"] == [{"date": "2026-01-01", "completes": 2, "invited_completes": 2},
                                       {"date": "2026-01-02", "completes": 2, "invited_completes": 2}]
    assert fw["by_channel"]["email"]["invited"] == 10 and fw["anonymous_completes"] == 0
    assert client.get("/api/v1/surveys/nope/fieldwork", headers=analyst).status_code == 404
