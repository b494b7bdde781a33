"""The csi command line, run as a user runs it (a subprocess with CSI_DATABASE_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from survey_defs import template_path

CSI = [sys.executable, "-m", "service.cli"]


def run(args: list[str], url: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSI_DATABASE_URL": url}
    return subprocess.run(CSI + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_validate_reports_file_and_line(tmp_path: Path) -> None:
    good = template_path("utility_csi")
    text = good.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("scale: sat5", "scale: sat9", 1), encoding="utf-8")
    line = next(i for i, ln in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "sat9" in ln)
    r = run(["validate", str(good), str(bad)], "sqlite:///unused.db")
    assert r.returncode == 1
    assert f"{good}: ok" in r.stdout
    assert f"{bad}:{line}:" in r.stdout and "sat9" in r.stdout


def test_outdated_schema_is_refused_then_upgrade_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    r = run(["surveys"], url)
    assert r.returncode != 0 and "csi db upgrade" in r.stderr
    assert run(["db", "upgrade"], url).returncode == 0
    assert run(["publish", "--template", "nps_quick"], url).stdout.startswith("nps_quick: version 1 published")
    assert "unchanged" in run(["publish", "--template", "nps_quick"], url).stdout
    key = run(["staff", "create-key", "--role", "analyst"], url)
    assert key.returncode == 0 and key.stdout.startswith("csi_")
    assert "nps_quick" in run(["surveys"], url).stdout


def test_service_refuses_outdated_schema(tmp_path: Path) -> None:
    import pytest

    from service.app import create_app
    from service.settings import Settings
    from service.store.migrate import SchemaOutdated

    with pytest.raises(SchemaOutdated, match="csi db upgrade"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))


def test_production_refuses_default_secret(tmp_path: Path) -> None:
    import pytest

    from service.app import create_app
    from service.settings import Settings

    with pytest.raises(RuntimeError, match="CSI_SECRET_KEY"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", environment="production"))


def test_acsi_standard_end_to_end(tmp_path: Path) -> None:
    """Publish acsi_standard, import responses, and `csi analyze --json` carries the ACSI index with its CI."""
    import json

    from analytics.simulate import simulate
    from survey_defs import load_template

    url = f"sqlite:///{tmp_path / 'acsi.db'}"
    assert run(["db", "upgrade"], url).returncode == 0
    assert run(["publish", "--template", "acsi_standard"], url).returncode == 0
    csv = tmp_path / "acsi.csv"
    simulate(load_template("acsi_standard"), 400, random_state=2).to_frame().to_csv(csv, index=False)
    imp = run(["import", "acsi_standard", str(csv)], url)
    assert imp.returncode == 0, imp.stderr
    out = run(["analyze", "acsi_standard", "--json"], url)
    assert out.returncode == 0, out.stderr
    acsi = json.loads(out.stdout)["acsi"]
    assert acsi["status"] == "ok" and acsi["construct"] == "SAT"
    assert acsi["ci"][0] < acsi["value"] < acsi["ci"][1]
    assert all("alpha" in c for c in acsi["constructs"] if len(c["items"]) > 1)
    files = run(["analyze", "--definition", str(template_path("acsi_standard")), "--responses", str(csv), "--json"],
                url)
    assert json.loads(files.stdout)["acsi"]["value"] == acsi["value"]


def test_analyze_filters_from_store_and_files_agree(tmp_path: Path) -> None:
    """`csi analyze SLUG --json` and the file mode take the same filters (--wave/--period, --brand, --segment)
    and give the same figures; bad filter values are CLI errors naming the value."""
    import json

    from analytics.simulate import simulate
    from survey_defs import load_template

    url = f"sqlite:///{tmp_path / 'u.db'}"
    assert run(["db", "upgrade"], url).returncode == 0
    assert run(["publish", "--template", "utility_csi"], url).returncode == 0
    csv = tmp_path / "u.csv"
    simulate(load_template("utility_csi"), 300, random_state=4, rate_probability=0.6).to_frame().to_csv(
        csv, index=False)
    assert run(["import", "utility_csi", str(csv)], url).returncode == 0
    files = ["--definition", str(template_path("utility_csi")), "--responses", str(csv)]
    seen: dict[str, float] = {}
    for flt in (["--wave", "2025H2"], ["--period", "2025H2"], ["--brand", "xinda"],
                ["--segment", "q_region=rural", "--segment", "q_customer_type=residential"]):
        store = run(["analyze", "utility_csi", "--json", *flt], url)
        assert store.returncode == 0, store.stderr
        from_files = run(["analyze", *files, "--json", *flt], url)
        assert from_files.returncode == 0, from_files.stderr
        a, b = json.loads(store.stdout), json.loads(from_files.stdout)
        a.pop("source"), b.pop("source")
        assert a == b  # the whole analysis, not only the index
        assert a["n"]["filtered"] < a["n"]["responses"]
        seen[" ".join(flt)] = a["index"]["value"]
    assert seen["--wave 2025H2"] == seen["--period 2025H2"]
    assert len({seen[k] for k in seen if "2025H2" not in k} | {seen["--wave 2025H2"]}) == 3
    bad = run(["analyze", "utility_csi", "--wave", "1999"], url)
    assert bad.returncode != 0 and "1999" in bad.stderr
    bad = run(["analyze", "utility_csi", "--segment", "q_region"], url)
    assert bad.returncode != 0 and "ITEM=OPTION" in bad.stderr
