"""`csi demo` end to end with a small population: store, collector, analysis, and the three report files."""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import pytest

from reports import fmt
from service.demo import run_demo
from tests.reports.conftest import flat, needs_browser, needs_poppler, pdf_pages, pdftotext

TITLES = {
    "zh": ["一、执行摘要", "二、调查方法", "四、结构方程模型", "五、客户忠诚", "六、改进优先级", "七、竞争对标与趋势",
           "附录"],
    "en": ["1. Executive summary", "2. Method", "4. Latent model", "5. Loyalty", "6. Priorities",
           "7. Benchmarking and trend", "Appendix"],
}


@needs_browser
@needs_poppler
def test_demo_writes_the_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert run_demo(out, n_per_wave=150) == 0
    printed = capsys.readouterr().out
    # every response went through the collector and was accepted
    m = re.search(r"submitted through the collector API: (\{.*\})", printed)
    assert m is not None, printed
    assert ast.literal_eval(m.group(1)) == {201: 300}
    assert "csi serve --port 8000" in printed and "/s/utility_csi" in printed
    for name in ("report-zh.pdf", "report-en.pdf", "report.html", "analysis.json", "demo.db"):
        assert (out / name).is_file(), name
    analysis = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    # the reports cover the latest wave, and analysis.json is the analysis they show
    assert analysis["filters"]["wave"] == "2026H1" and analysis["n"]["responses"] == 300
    assert analysis["acsi"]["status"] == "ok"
    value = fmt.num(analysis["index"]["value"])
    for lang in ("zh", "en"):
        pdf = out / f"report-{lang}.pdf"
        assert pdf_pages(pdf, tmp_path) >= 8
        text = pdftotext(pdf, tmp_path)
        assert value in text and fmt.num(analysis["acsi"]["value"]) in text
        f = flat(text)
        for title in TITLES[lang]:
            assert flat(title) in f, (lang, title)
        # the demo population is fieldwork-like: no markup payloads among the comments
        assert "<script" not in text and "<b>" not in text
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "一、执行摘要" in page and "plot-model_path" in page and value in page
