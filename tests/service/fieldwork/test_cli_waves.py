"""`csi waves`, and the public links `csi publish` and `csi serve` print, run as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.service.fieldwork.defs import dated, days

CSI = [sys.executable, "-m", "service.cli"]


def run(args: list[str], url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CSI + args, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CSI_DATABASE_URL": url, **env})


def test_publish_prints_the_public_url_and_waves_change_the_calendar(store_url: str, engine: object,
                                                                     tmp_path: Path) -> None:
    f = tmp_path / "utility_csi.yaml"
    f.write_text(dated(), encoding="utf-8")
    r = run(["publish", str(f)], store_url)
    assert r.returncode == 0 and "public URL: http://127.0.0.1:8000/s/utility_csi" in r.stdout
    r = run(["publish", str(f), "--base-url", "https://survey.example.com/"], store_url)
    assert "public URL: https://survey.example.com/s/utility_csi" in r.stdout
    r = run(["publish", str(f)], store_url, CSI_PUBLIC_URL="https://csi.example.org")
    assert "public URL: https://csi.example.org/s/utility_csi" in r.stdout

    listed = run(["waves", "utility_csi"], store_url)
    assert listed.returncode == 0 and "open now: 2026H1" in listed.stdout and "Asia/Shanghai" in listed.stdout
    assert f"2026H1       {days(-30)}" in listed.stdout
    r = run(["waves", "utility_csi", "--set", "2026H1", "--closes", days(-1)], store_url)
    assert r.returncode == 0 and "no wave is open now" in r.stdout
    r = run(["waves", "utility_csi", "--add", "2026H2", "--label-zh", "2026年下半年", "--label-en", "2nd half",
             "--opens", days(0), "--closes", days(180)], store_url)
    assert r.returncode == 0 and "wave 2026H2 added" in r.stdout and "open now: 2026H2" in r.stdout
    bad = run(["waves", "utility_csi", "--set", "2026H2", "--closes", "2026-02-30"], store_url)
    assert bad.returncode == 1 and "--closes" in bad.stderr and "Traceback" not in bad.stderr
    clash = run(["waves", "utility_csi", "--set", "2026H2", "--opens", days(-10)], store_url)
    assert clash.returncode == 1 and "overlaps wave '2026H1'" in clash.stderr
    assert run(["waves", "nope"], store_url).returncode == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_each_open_survey_url(store_url: str, engine: object, tmp_path: Path) -> None:
    f = tmp_path / "utility_csi.yaml"
    f.write_text(dated(), encoding="utf-8")
    assert run(["publish", str(f)], store_url).returncode == 0
    assert run(["publish", "--template", "nps_quick"], store_url).returncode == 0
    assert run(["close", "nps_quick"], store_url).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([*CSI, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "CSI_DATABASE_URL": store_url})
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert lines[0].startswith(f"console   http://127.0.0.1:{port}/staff/")
    assert lines[1].strip() == f"API docs  http://127.0.0.1:{port}/docs"
    assert lines[2].strip() == f"survey    http://127.0.0.1:{port}/s/utility_csi"  # the closed nps_quick is not listed
