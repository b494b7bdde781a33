"""The fieldwork commands as a user runs them (subprocesses), against a real SMTP server and SMS gateway: a send
killed mid-run resumes with exactly one mail per invitee; bad files are named by FILE:LINE, never a traceback."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.service.fieldwork.common import definition_text
from tests.service.fieldwork.mailbox import Inbox, sms_gateway, smtp_server

CSI = [sys.executable, "-m", "service.cli"]
SECRET = "cli-secret-" + "y" * 40


def env(url: str, **extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    return {**e, "CSI_DATABASE_URL": url, "CSI_SECRET_KEY": SECRET, "CSI_PUBLIC_URL": "https://survey.example.com",
            "CSI_MAIL_FROM": "survey@jiangcheng.example", **extra}


def run(args: list[str], e: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CSI + args, capture_output=True, text=True, env=e, timeout=120)


def publish(tmp_path: Path, e: dict[str, str]) -> None:
    f = tmp_path / "utility_csi.yaml"
    f.write_text(definition_text(), encoding="utf-8")
    r = run(["publish", str(f)], e)
    assert r.returncode == 0, r.stderr


def invitees(path: Path, n: int, phones: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_ref", "email", "name", "lang", "phone", "q_region"])
        for i in range(n):
            w.writerow([f"C{i:03d}", f"p{i}@example.com", f"Person {i}", "en" if i % 2 else "zh",
                        f"+86 138 0000 {i:04d}" if phones else "", "urban" if i % 3 else "rural"])


def test_kill_mid_send_then_resume_sends_each_invitee_exactly_once(store_url: str, engine: Engine,
                                                                   tmp_path: Path) -> None:
    n, kill_after = 12, 5
    inbox = Inbox()
    with smtp_server(inbox) as (_, smtp_url):
        e = env(store_url, CSI_SMTP_URL=smtp_url)
        publish(tmp_path, e)
        invitees(tmp_path / "people.csv", n)
        proc = subprocess.Popen([*CSI, "invite", "utility_csi", "--invitees", str(tmp_path / "people.csv"),
                                 "--out", str(tmp_path / "links.csv"), "--send"],
                                env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def crash(count: int) -> None:  # the server has the 5th mail, the sender is waiting for its "250"
            if count == kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                time.sleep(0.3)

        inbox.on_message = crash
        proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL
        inbox.on_message = None
        assert len(inbox.messages) == kill_after
        with engine.connect() as c:
            status = dict(c.execute(text("SELECT status, count(*) FROM invitation_send GROUP BY status")).all())
        assert status == {"sent": kill_after - 1, "sending": 1, "queued": n - kill_after}

        r = run(["send", "utility_csi"], e)
        assert r.returncode == 0, r.stderr
        assert f"sent {n - kill_after}," in r.stdout and "1 send(s) were interrupted" in r.stdout
        rcpts = sorted(str(m["To"]) for m in inbox.messages)
        assert len(rcpts) == n and len(set(rcpts)) == n  # every invitee exactly one mail
        # the links file was written before sending began; its links are the ones mailed
        with (tmp_path / "links.csv").open(encoding="utf-8-sig") as f:
            urls = {row["url"] for row in csv.DictReader(f)}
        mailed = {line.strip() for m in inbox.messages for line in m.get_body(("plain",)).get_content().splitlines()
                  if line.startswith("https://survey.example.com/s/utility_csi?t=")}
        assert {u.split("&")[0] for u in mailed} == urls

        fw = run(["fieldwork", "utility_csi"], e)
        assert fw.returncode == 0 and "interrupted while sending" in fw.stdout
        # --retry-stuck: at least once, the operator's explicit choice
        again = run(["send", "utility_csi", "--retry-stuck"], e)
        assert again.returncode == 0 and "sent 1," in again.stdout and len(inbox.messages) == n + 1


def test_sms_webhook_sms_file_and_fieldwork_json(store_url: str, tmp_path: Path) -> None:
    with smtp_server() as (inbox, smtp_url), sms_gateway(fail_phones={"+86 138 0000 0002"}) as (texts, hook):
        e = env(store_url, CSI_SMTP_URL=smtp_url, CSI_SMS_WEBHOOK_URL=hook)
        publish(tmp_path, e)
        invitees(tmp_path / "people.csv", 3, phones=True)
        r = run(["invite", "utility_csi", "--invitees", str(tmp_path / "people.csv"), "--out",
                 str(tmp_path / "links.csv"), "--sms-out", str(tmp_path / "sms.csv"), "--send", "--wave", "2026H1"],
                e)
        assert r.returncode == 0, r.stderr
        assert "6 message(s) queued" in r.stdout and "sent 5, bounced 1, failed 0" in r.stdout
        assert len(inbox.messages) == 3 and len(texts) == 3
        by_phone = {t["phone"]: t["text"] for t in texts}
        assert by_phone["+86 138 0000 0001"].startswith("Jiangcheng Power survey, 5 minutes: https://survey.")
        assert "江城电力满意度调查" in by_phone["+86 138 0000 0000"]
        with (tmp_path / "sms.csv").open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert [row["phone"] for row in rows] == ["+86 138 0000 0000", "+86 138 0000 0001", "+86 138 0000 0002"]
        assert all(row["link"] in row["text"] for row in rows)

        out = run(["fieldwork", "utility_csi", "--json"], e)
        assert out.returncode == 0, out.stderr
        fw = json.loads(out.stdout)
        assert fw["overall"]["invited"] == 3 and fw["overall"]["delivered"] == 3
        assert fw["sends"] == {"email/invite": {"sent": 3}, "sms/invite": {"sent": 2, "bounced": 1}}
        assert fw["by_wave"]["2026H1"]["rr1"] == 0.0 and fw["quota_progress"] == []  # utility_csi sets no quotas
        rem = run(["remind", "utility_csi", "--after", "3d", "--max", "2"], e)
        assert rem.returncode == 0 and "0 reminder(s) queued" in rem.stdout and "contacted within 3d" in rem.stdout
        bad = run(["remind", "utility_csi", "--after", "soon"], e)
        assert bad.returncode == 1 and "--after" in bad.stderr and "Traceback" not in bad.stderr


def test_hostile_invitee_file_names_file_line_and_column(store_url: str, tmp_path: Path) -> None:
    e = env(store_url)
    publish(tmp_path, e)
    f = tmp_path / "bad.csv"
    f.write_text("customer_ref,email,name,lang,q_region\n"
                 "ok1,ok@example.com,Ok,en,urban\n"
                 "x2,not-an-email,Bad,en,urban\n"
                 "x3,a@example.com,\"Evil\x07Name\",en,urban\n"
                 "x4,b@example.com,B,fr,urban\n"
                 "x5,c@example.com,C,en,moon\n", encoding="utf-8")
    r = run(["invite", "utility_csi", "--invitees", str(f), "--out", str(tmp_path / "l.csv"), "--send"], e)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{f}:3: column email: not an email address" in r.stderr
    assert f"{f}:4: column name: contains the control character U+0007" in r.stderr
    # the first pass stops at the file's own problems; fix them and the definition's checks name their lines
    f.write_text("customer_ref,email,name,lang,q_region\nok1,ok@example.com,=HYPERLINK(\"x\"),en,urban\n"
                 "x4,b@example.com,B,fr,urban\nx5,c@example.com,C,en,moon\n", encoding="utf-8")
    r = run(["invite", "utility_csi", "--invitees", str(f), "--out", str(tmp_path / "l.csv")], e)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{f}:3: column lang: 'fr' is not a language" in r.stderr
    assert f"{f}:4: column q_region:" in r.stderr
    r = run(["invite", "utility_csi", "--invitees", str(f), "--out", str(tmp_path / "l.csv"), "--send"],
            env(store_url))
    assert r.returncode == 1 and "CSI_SMTP_URL is not set" in r.stderr
    r = run(["invite", "utility_csi", "--count", "1", "--out", str(tmp_path / "l.csv"), "--send"],
            env(store_url, CSI_SMTP_URL="http://x"))
    assert r.returncode == 1 and "--send needs --invitees" in r.stderr


def test_sample_draw_feeds_invite_and_plan_qr(store_url: str, tmp_path: Path) -> None:
    e = env(store_url)
    publish(tmp_path, e)
    customers = tmp_path / "customers.csv"
    with customers.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_ref", "region", "segment", "email", "q_region", "meter_no"])
        for i in range(1000):
            region = "north" if i < 700 else "south"
            w.writerow([f"K{i}", region, "biz" if i % 4 == 0 else "res", f"k{i}@example.com",
                        "urban" if region == "north" else "rural", f"M{i}"])
    args = ["sample", "draw", "utility_csi", str(customers), "--strata", "region,segment", "--n", "100",
            "--seed", "42"]
    a = run([*args, "--out", str(tmp_path / "a.csv")], e)
    b = run([*args, "--out", str(tmp_path / "b.csv")], e)
    assert a.returncode == 0 and b.returncode == 0, a.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "meter_no" in a.stderr  # dropped columns are named
    with (tmp_path / "a.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    from collections import Counter
    # 700 north (175 biz, 525 res), 300 south (75 biz, 225 res): quotas 17.5, 52.5, 7.5, 22.5; floors leave 2,
    # every remainder is .5, so the first two strata in sorted order get them: 18, 53, 7, 22
    assert Counter(r["stratum"] for r in rows) == {"north/biz": 18, "north/res": 53, "south/biz": 7,
                                                   "south/res": 22}
    assert list(rows[0]) == ["customer_ref", "email", "q_region", "stratum"]
    inv = run(["invite", "utility_csi", "--invitees", str(tmp_path / "a.csv"), "--out", str(tmp_path / "l.csv")], e)
    assert inv.returncode == 0, inv.stderr
    fw = json.loads(run(["fieldwork", "utility_csi", "--json"], e).stdout)
    assert fw["by_stratum"]["north/res"]["invited"] == 53
    miss = run(["sample", "draw", "utility_csi", str(customers), "--strata", "regio", "--n", "5", "--seed", "1"], e)
    assert miss.returncode == 1 and f"{customers}:1: no column 'regio'" in miss.stderr

    p = run(["sample", "plan", "--margin", "2", "--sd", "15", "--deff", "1.5", "--response-rate", "0.25",
             "--stratum", "urban=3000", "--stratum", "rural=2000"], e)
    assert p.returncode == 0, p.stderr
    assert "completes needed: 305" in p.stdout and "invitations needed at a 25% response rate: 1220" in p.stdout
    assert "urban" in p.stdout and "732" in p.stdout
    q = run(["qr", "utility_csi", "--out", str(tmp_path / "qr")], e)
    assert q.returncode == 0, q.stderr
    png = (tmp_path / "qr" / "utility_csi-qr.png").read_bytes()
    svg = (tmp_path / "qr" / "utility_csi-qr.svg").read_text()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in svg and "https://survey.example.com/s/utility_csi" in q.stdout
