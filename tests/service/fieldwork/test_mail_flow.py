"""Invitations mailed through a real SMTP server, read, followed, answered, unsubscribed; reminders then skip the
person who answered and the one who unsubscribed. On SQLite and PostgreSQL."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.fieldwork import outbox
from service.fieldwork.outbox import Transports
from service.fieldwork.report import fieldwork
from service.invitations.schemas import InviteeIn
from service.invitations.service import create_invitations
from service.mail.smtp import SmtpSender, parse_smtp_url
from service.surveys.service import SurveyRef
from tests.service.fieldwork.common import links, path_of, publish_with_invitation, subject
from tests.service.fieldwork.mailbox import Inbox, parts, smtp_server
from tests.service.web.respondent import Respondent, full_answers

SECRET = "test-secret-" + "x" * 40
BASE = "http://testserver"
DAY = 86400.0


def _send_all(engine: Engine, ref: SurveyRef, url: str) -> outbox.RunSummary:
    t = Transports(email=SmtpSender(parse_smtp_url(url)), mail_from="survey@jiangcheng.example")
    try:
        return outbox.run(engine, ref, t, base_url=BASE, secret=SECRET)
    finally:
        t.close()


def test_invite_answer_unsubscribe_remind(client: TestClient, engine: Engine) -> None:
    client.app.state.csi.settings.secret_key = SECRET  # type: ignore[attr-defined]
    ref = publish_with_invitation(engine)
    people = [
        InviteeIn(customer_ref="A1", email="alice@example.com", name="Alice Smith", lang="en",
                  segments={"q_region": "urban"}),
        InviteeIn(customer_ref="B2", email="bo@example.com", name="<b>王</b>&Co", stratum="rural/res"),
        InviteeIn(customer_ref="C3", email="chen@example.com", name="陈静", lang="zh"),
        InviteeIn(customer_ref="D4", email="nobody@example.com", name="Dee"),
    ]
    issued, _ = create_invitations(engine, ref, len(people), invitees=people, secret=SECRET, wave="2026H1")
    assert outbox.queue(engine, ref, [int(i.invitation_id or 0) for i in issued], "invite", {"email"}) == 4
    with smtp_server(Inbox(refuse={"nobody@example.com"})) as (inbox, url):
        summary = _send_all(engine, ref, url)
        assert (summary.sent, summary.bounced, summary.failed) == (3, 1, 0)
        assert "550" in summary.reasons[0]

        # --- the mails as received: multipart text + HTML, in the invitee's language, with both links
        [alice] = inbox.to("alice@example.com")
        [bo] = inbox.to("bo@example.com")
        [chen] = inbox.to("chen@example.com")
        assert subject(alice) == "Jiangcheng Power Customer Service Centre: how did we do?"
        assert subject(bo) == subject(chen) == "江城电力客户服务中心：请为我们的供电服务打分"  # default language zh
        a_text, a_html = parts(alice)
        assert a_text.startswith("Dear Alice Smith,") and "Please take 5 minutes" in a_text
        assert '<html lang="en">' in a_html and "Start the survey" in a_html
        b_text, b_html = parts(bo)
        assert "<b>王</b>&Co，您好" in b_text  # the plain part shows the name as written
        assert "&lt;b&gt;王&lt;/b&gt;&amp;Co，您好" in b_html and "<b>王" not in b_html  # escaped in HTML
        assert "开始答卷" in b_html and "退订" in b_html
        for m in (alice, bo, chen):
            t_links, h_links = links(parts(m)[0]), links(parts(m)[1])
            assert t_links == h_links
            assert str(m["List-Unsubscribe"]) == f"<{t_links[1]}>"
        a_link, _ = links(a_text)
        assert a_link.endswith("&lang=en")
        _, b_unsub = links(b_text)
        c_link, _ = links(parts(chen)[0])

        # --- Alice follows her link and answers; Bo unsubscribes; Chen opens the survey and leaves
        r = Respondent(client)
        r.open(path_of(a_link))
        assert r.status == 200 and 'name="draft"' in r.html
        done = r.complete(full_answers())
        assert done.status_code == 200 and "/thanks" in str(done.url)
        page = client.get(path_of(b_unsub))
        assert page.status_code == 200 and "确认退订" in page.text
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM invitation WHERE unsubscribed_at IS NOT NULL")).scalar() == 0
        confirm = client.post("/s/utility_csi/unsubscribe", data={"t": path_of(b_unsub).split("t=")[1].split("&")[0],
                                                                   "lang": "zh"}, follow_redirects=False)
        assert confirm.status_code == 303
        assert "已退订" in client.get(confirm.headers["location"]).text
        assert Respondent(client).open(path_of(c_link)).status_code == 200

        # --- reminders: 4 days later only Chen (not answered, not unsubscribed; Dee's address bounced)
        now = time.time() + 4 * DAY
        plan = outbox.queue_reminders(engine, ref, after_s=3 * DAY, max_n=2, channels={"email"}, now=now)
        assert (plan.queued, plan.answered, plan.unsubscribed, plan.never_invited) == (1, 1, 1, 1)
        before = len(inbox.messages)
        assert _send_all(engine, ref, url).sent == 1
        [reminder] = inbox.messages[before:]
        assert "chen@example.com" in str(reminder["To"]) and subject(reminder).startswith("提醒：")
        assert links(parts(reminder)[0])[0] == c_link  # the same personal link, rebuilt from the seed
        # never twice within the interval, at most --max
        again = outbox.queue_reminders(engine, ref, after_s=3 * DAY, max_n=2, channels={"email"}, now=now + DAY)
        assert (again.queued, again.too_recent) == (0, 1)
        assert outbox.queue_reminders(engine, ref, after_s=3 * DAY, max_n=2, channels={"email"},
                                      now=now + 4 * DAY).queued == 1
        assert outbox.queue_reminders(engine, ref, after_s=3 * DAY, max_n=2, channels={"email"},
                                      now=now + 9 * DAY).at_max == 1
        assert _send_all(engine, ref, url).sent == 1
        assert len(inbox.to("chen@example.com")) == 3 and len(inbox.to("alice@example.com")) == 1

    # --- what fieldwork makes of it: 4 invited, 3 delivered, Alice complete, Chen opened, Bo unsubscribed
    fw = fieldwork(engine, ref)
    o = fw.overall
    assert (o.invited, o.delivered, o.opened, o.partial, o.complete, o.unsubscribed) == (4, 3, 2, 0, 1, 1)
    assert o.aapor == {"I": 1, "P": 0, "R": 2, "NC": 0, "O": 0, "U": 1, "NE": 0}
    assert o.rr1 == 0.25 and o.rr2 == 0.25
    assert set(fw.by_wave) == {"2026H1"} and fw.by_channel["email"].invited == 4
    assert fw.by_stratum["rural/res"].unsubscribed == 1
    assert fw.by_segment["q_region"]["urban"].complete == 1
    assert fw.sends["email/invite"] == {"sent": 3, "bounced": 1} and fw.sends["email/reminder"] == {"sent": 2}
    assert [d.invited_completes for d in fw.completes_per_day] == [1]


def test_contacts_are_never_exported(client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
    ref = publish_with_invitation(engine)
    issued, _ = create_invitations(engine, ref, 1, invitees=[InviteeIn(email="secret.person@example.com",
                                                                        name="Secret Person")], secret=SECRET)
    r = Respondent(client)
    client.app.state.csi.settings.secret_key = SECRET  # type: ignore[attr-defined]
    r.open(f"/s/utility_csi?t={issued[0].token}")
    r.complete(full_answers())
    for fmt in ("csv", "json"):
        out = client.get(f"/api/v1/surveys/utility_csi/export?format={fmt}", headers=admin)
        assert out.status_code == 200, out.text
        assert "secret.person" not in out.text and "Secret Person" not in out.text
