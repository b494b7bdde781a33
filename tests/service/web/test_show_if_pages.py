"""show_if in the web form, on both stores: the complaint page is shown only after "yes", Next and Previous jump
over it otherwise, the progress bar counts only the pages shown, and answers kept in the draft for a page that
is hidden again are not submitted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.web.respondent import Respondent, full_answers

SLUG = "utility_csi"
FOLLOW_UPS = {"a:q_complaint_resolved", "a:q_complaint_handling_sat"}


def _to_overall(p: Respondent, answers: dict[str, object]) -> None:
    p.open(f"/s/{SLUG}?lang=en")
    for _ in range(4):  # profile, brand picker, two brand pages
        p.post("next", answers)
    assert "a:q_complained" in p.fields()


def _export(client: TestClient, admin: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    r = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin)
    assert r.status_code == 200, r.text
    return list(r.json()["responses"])


def test_no_complaint_skips_the_page_and_the_count(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    p = Respondent(client)
    a = full_answers()
    _to_overall(p, a)
    assert p.progress == "Page 5 of 6"  # the complaint page is not counted
    p.post("next", a)
    assert p.progress == "Page 6 of 6" and "a:q_age" in p.fields() and not FOLLOW_UPS & p.fields()
    p.post("prev", a)
    assert p.progress == "Page 5 of 6" and "a:q_complained" in p.fields()  # Previous jumps over it too
    r = p.complete(a)
    assert r.status_code == 200 and "/thanks" in str(r.url)
    (rec,) = _export(client, admin)
    assert rec["answers"]["q_complained"] == 0 and "q_complaint_resolved" not in rec["answers"]


def test_yes_shows_the_follow_up_page(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    p = Respondent(client)
    a = {**full_answers(), "a:q_complained": "1", "a:q_complaint_resolved": "0", "a:q_complaint_handling_sat": "2"}
    _to_overall(p, a)
    assert p.progress == "Page 5 of 6"  # not answered yet: hidden
    p.post("next", a)
    assert p.progress == "Page 6 of 7" and p.fields() == FOLLOW_UPS
    assert "Was your complaint resolved?" in p.html and "Your complaint" in p.html
    p.post("next", a)
    assert p.progress == "Page 7 of 7"
    p.complete(a)
    (rec,) = _export(client, admin)
    assert rec["answers"]["q_complaint_resolved"] == 0 and rec["answers"]["q_complaint_handling_sat"] == 2


def test_changing_back_to_no_drops_the_kept_follow_ups(client: TestClient, utility: str,
                                                       admin: dict[str, str]) -> None:
    p = Respondent(client)
    yes = {**full_answers(), "a:q_complained": "1", "a:q_complaint_resolved": "1", "a:q_complaint_handling_sat": "5"}
    _to_overall(p, yes)
    p.post("next", yes)
    p.post("next", yes)  # the follow-ups are saved in the draft
    assert p.progress == "Page 7 of 7"
    p.post("prev", yes)
    p.post("prev", yes)
    assert "a:q_complained" in p.fields()
    no = {**yes, "a:q_complained": "0"}
    p.post("next", no)
    assert p.progress == "Page 6 of 6" and "a:q_age" in p.fields()
    r = p.complete(no)
    assert "/thanks" in str(r.url), r.text[:300]  # not refused for the follow-ups still in the draft
    (rec,) = _export(client, admin)
    assert rec["answers"]["q_complained"] == 0 and "q_complaint_handling_sat" not in rec["answers"]
