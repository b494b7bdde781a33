"""HTML and PDF: escaping, the URL fetcher, offline HTML, page count and extracted text in both languages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reports import fmt
from reports.render import RefusedURL, ReportError, SafeURLFetcher, render_html, template_metadata
from tests.reports.conftest import XSS, flat, needs_browser, needs_poppler, pdf_pages, pdftotext

TITLES = {
    "zh": ["一、执行摘要", "二、调查方法", "三、满意度指数体系", "四、结构方程模型", "五、客户忠诚", "六、改进优先级",
           "七、竞争对标与趋势", "八、细分群体", "附录"],
    "en": ["1. Executive summary", "2. Method", "3. The satisfaction index", "4. Latent model", "5. Loyalty",
           "6. Priorities", "7. Benchmarking and trend", "8. Segments", "Appendix"],
}


METHOD = {"zh": "二、调查方法", "en": "2. Method"}


def test_html_escapes_comments_and_has_no_script(ctx_en: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # the static (print) HTML with fake charts: escaping does not depend on the browser
    monkeypatch.setattr("reports.charts.render_svgs", lambda specs, lang: {k: "<svg/>" for k, v in specs.items() if v})
    page = render_html(ctx_en)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script" not in page.lower()
    assert "<b>bold" not in page


def test_interactive_html_is_offline_and_escapes(ctx_en: dict[str, Any]) -> None:
    page = render_html(ctx_en, interactive=True)
    assert not re.search(r"<script[^>]+src=", page, re.I)
    import plotly

    js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    assert js[:2000] in page  # plotly.js inline, from the installed package
    # outside plotly.js itself (whose geo/map code names CDNs our charts never use), no URL is loaded
    rest = page.replace(js, "")
    assert not re.search(r"(src|href)=[\"']?https?:", rest) and "https://cdn" not in rest
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # the only script elements are plotly.js, the chart data (JSON) and the small loader
    assert "<script>alert" not in page
    assert page.count('type="application/json"') == sum(1 for v in ctx_en["charts"].values() if v)


def test_url_fetcher_refuses_files_and_network() -> None:
    f = SafeURLFetcher()
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/x.css", "ftp://x/y"):
        with pytest.raises(RefusedURL):
            f(url)
    assert f("data:text/plain;base64,aGk=").read() == b"hi"


def test_pdf_does_not_read_local_files(tmp_path: Path) -> None:
    from weasyprint import HTML

    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }", encoding="utf-8")
    img = tmp_path / "x.svg"
    img.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    fetched: list[str] = []
    fetcher = SafeURLFetcher()
    orig = fetcher.fetch

    def spy(url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return orig(url, headers)

    fetcher.fetch = spy  # type: ignore[method-assign]
    html = f'<link rel="stylesheet" href="{secret.as_uri()}"><img src="{img.as_uri()}"><p>ok</p>'
    pdf = HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    assert pdf.startswith(b"%PDF") and fetched  # WeasyPrint asked, the fetcher refused, rendering went on


def test_unknown_template_is_a_report_error(ctx_en: dict[str, Any]) -> None:
    with pytest.raises(ReportError, match="unknown report template"):
        render_html(ctx_en, template="../../etc")


def test_context_that_does_not_fit_is_a_report_error(ctx_en: dict[str, Any]) -> None:
    broken = {k: v for k, v in ctx_en.items() if k != "method"}
    broken["charts"] = {}
    with pytest.raises(ReportError, match="method"):
        render_html(broken, interactive=True)


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_pages_and_text(lang: str, pdfs: dict[str, bytes], ctx_zh: dict[str, Any], ctx_en: dict[str, Any],
                            analysis: dict[str, Any], tmp_path: Path) -> None:
    pdf = pdfs[lang]
    ctx = ctx_zh if lang == "zh" else ctx_en
    assert 8 <= pdf_pages(pdf, tmp_path, lang) <= 16
    text = pdftotext(pdf, tmp_path, lang)
    f = flat(text)
    assert fmt.num(analysis["index"]["value"]) in text
    for title in TITLES[lang]:
        assert flat(title) in f, title
    assert flat(ctx["meta"]["title"]) in f and flat(ctx["meta"]["period"]) in f
    footer = "第2页/共" if lang == "zh" else "Page 2 of"
    assert footer.replace(" ", "") in f or footer in text
    # the hostile comment is printed as literal text, not interpreted
    assert flat(XSS) in f
    assert "\ufffd" not in text  # no undecodable glyphs (tofu shows up as replacement characters)


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_executive_summary_fits_one_page(lang: str, pdfs: dict[str, bytes], tmp_path: Path) -> None:
    """Cover on page 1, the whole summary on page 2, the method from the top of page 3."""
    page2 = flat(pdftotext(pdfs[lang], tmp_path, lang, first=2, last=2))
    page3 = flat(pdftotext(pdfs[lang], tmp_path, lang, first=3, last=3))
    assert flat(TITLES[lang][0]) in page2 and flat(METHOD[lang]) not in page2
    heading = flat(METHOD[lang])
    assert heading in page3
    running = flat({"zh": "供电服务客户满意度调查·客户满意度测评报告",
                    "en": "Electricity Supply Customer Satisfaction Survey · Customer Satisfaction Report"}[lang])
    assert page3.replace(running, "", 1).startswith(heading)  # first thing after the running header


@needs_poppler
def test_chinese_pdf_embeds_a_cjk_font(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    """pdftotext cannot see tofu (it extracts the code points); the embedded fonts can: WenQuanYi must be there."""
    path = tmp_path / "zh.pdf"
    path.write_bytes(pdfs["zh"])
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [ln.split() for ln in out.splitlines()[2:] if ln.strip()]
    cjk = [r for r in rows if "WenQuanYi" in r[0]]
    assert cjk, out
    # columns: name type... encoding emb sub uni: every CJK font is embedded (emb = yes)
    assert all(r[-5] == "yes" for r in cjk), out


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_latent_model_is_in_the_pdf(lang: str, pdfs: dict[str, bytes], ctx_zh: dict[str, Any],
                                    ctx_en: dict[str, Any], tmp_path: Path) -> None:
    """The path diagram (its SVG text: coefficients and R²), the quality table and the IPMA chart are printed."""
    ctx = ctx_zh if lang == "zh" else ctx_en
    m = ctx["model"]
    f = flat(pdftotext(pdfs[lang], tmp_path, lang))
    t = ctx["t"]
    for key in ("path_diagram", "paths", "quality_criteria", "htmt_title", "ipma"):
        assert flat(t[key]) in f, key
    sat = next(c for c in m["constructs"] if c["id"] == "SAT")
    assert f"R²={fmt.num(sat['r2'], 2)}" in f  # inside the path diagram
    for p in m["paths"]:
        assert flat(p["label"]) in f and p["coef_text"] in f
    for q in m["quality"]:
        assert flat(q["construct"]) in f
    assert flat(m["index_text"]) in f and flat(t["kpi_acsi"]) in f
    assert sum(1 for q in m["quality"] for k in ("alpha_mark", "ave_mark") if q[k] == "✓") >= 6


def test_item_table_and_priorities_mark_rules_and_reverse_items(ctx_en: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reports.charts.render_svgs", lambda specs, lang: {k: "<svg/>" for k, v in specs.items() if v})
    page = render_html(ctx_en)
    assert "Top-2-box" not in page and ">Top box<" in page and ">share yes<" in page and ">answers 9–10<" in page
    # the reverse-coded item carries an R in the index tree, the priorities and the item table
    assert page.count('<span class="rev">R</span>') == 3
    assert page.count('class="q-improve_first"') == len(ctx_en["priorities"]["improve"])
    assert "All items ranked by priority (improve-first items highlighted)" in page


def _copy_template(tmp_path: Path, name: str, **meta: Any) -> Path:
    """csi_standard copied under another name, with renamed files and the given metadata changes."""
    import shutil

    import yaml

    from reports.render import TEMPLATES

    root = tmp_path / "templates"
    folder = root / name
    shutil.copytree(TEMPLATES / "csi_standard", folder)
    (folder / "report.html.j2").rename(folder / "main.html.j2")
    (folder / "theme.css").rename(folder / "print.css")
    with (folder / "print.css").open("a", encoding="utf-8") as fh:
        fh.write("\n/* custom-stylesheet-marker */\n")
    data = yaml.safe_load((folder / "metadata.yaml").read_text(encoding="utf-8"))
    data["files"] = {"template": "main.html.j2", "stylesheet": "print.css"}
    data.update(meta)
    (folder / "metadata.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def test_template_metadata_is_read(ctx_en: dict[str, Any], ctx_zh: dict[str, Any], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The file names, the page size and the languages come from metadata.yaml, not from the code."""
    meta = template_metadata()
    assert meta["files"] == {"template": "report.html.j2", "stylesheet": "theme.css"}
    assert meta["languages"] == ["zh", "en"] and meta["page_size"] == "A4"
    root = _copy_template(tmp_path, "custom_en", languages=["en"], page_size="letter")
    monkeypatch.setattr("reports.render.TEMPLATES", root)
    page = render_html(ctx_en, template="custom_en", interactive=True)
    assert "custom-stylesheet-marker" in page and "size: letter;" in page and "1. Executive summary" in page
    with pytest.raises(ReportError, match=r"'custom_en' is available in en, not 'zh'"):
        render_html(ctx_zh, template="custom_en", interactive=True)


@pytest.mark.parametrize(("change", "message"), [
    ({"files": {"template": "nowhere.j2", "stylesheet": "theme.css"}}, "files.template names 'nowhere.j2'"),
    ({"files": {"template": "../../etc/passwd", "stylesheet": "theme.css"}}, "files.template must be a file name"),
    ({"languages": []}, "languages must be a non-empty list"),
    ({"page_size": "A4; } body { display: none"}, "is not a CSS page size"),
])
def test_bad_template_metadata_is_a_clear_error(change: dict[str, Any], message: str, ctx_en: dict[str, Any],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    root = _copy_template(tmp_path, "broken")
    meta_path = root / "broken" / "metadata.yaml"
    data = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    data.update(change)
    if "files" in change and change["files"]["stylesheet"] == "theme.css":
        (root / "broken" / "theme.css").write_text("", encoding="utf-8")
    meta_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr("reports.render.TEMPLATES", root)
    with pytest.raises(ReportError, match=re.escape(message)):
        render_html(ctx_en, template="broken", interactive=True)


@needs_browser
def test_one_chart_browser_per_process(tmp_path: Path) -> None:
    """Two PDFs in a fresh process start Kaleido's browser once, through the offline wrapper."""
    script = tmp_path / "two.py"
    script.write_text(
        "import json, os, kaleido\n"
        "starts = []\n"
        "real = kaleido.start_sync_server\n"
        "def counting(*a, **kw):\n"
        "    starts.append(1)\n"
        "    return real(*a, **kw)\n"
        "kaleido.start_sync_server = counting\n"
        "from analytics.analyze import analyze\n"
        "from analytics.simulate import simulate\n"
        "from reports.pipeline import render_report\n"
        "from survey_defs import load_template\n"
        "d = load_template('nps_quick')\n"
        "data = simulate(d, 200, random_state=1)\n"
        "a = analyze(d, data, n_boot=20)\n"
        "pdfs = [render_report(d, data, a, lang=lang, fmt='pdf') for lang in ('zh', 'en')]\n"
        "print(json.dumps({'starts': len(starts), 'browser': os.environ.get('BROWSER_PATH'),\n"
        "                  'sizes': [len(p) for p in pdfs], 'pdf': [p[:5].decode() for p in pdfs]}))\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BROWSER_PATH"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["pdf"] == ["%PDF-", "%PDF-"] and min(res["sizes"]) > 10_000
    assert res["starts"] == 1
    wrapper = Path(__file__).resolve().parents[2] / "scripts" / "chromium-offline"
    assert res["browser"] == str(wrapper)
    assert "--host-resolver-rules=\"MAP * ~NOTFOUND\"" in wrapper.read_text(encoding="utf-8")
