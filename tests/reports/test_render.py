"""HTML and PDF: escaping, the URL fetcher, offline HTML, page count and extracted text in both languages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports import fmt
from reports.render import RefusedURL, ReportError, SafeURLFetcher, render_html
from tests.reports.conftest import XSS, needs_poppler

TITLES = {
    "zh": ["一、执行摘要", "二、调查方法", "三、满意度指数体系", "四、结构方程模型", "五、客户忠诚", "六、改进优先级",
           "七、竞争对标与趋势", "八、细分群体", "附录"],
    "en": ["1. Executive summary", "2. Method", "3. The satisfaction index", "4. Latent model", "5. Loyalty",
           "6. Priorities", "7. Benchmarking and trend", "8. Segments", "Appendix"],
}


def _pdftotext(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(pdf: bytes, tmp_path: Path, name: str) -> int:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


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
    assert 8 <= _pages(pdf, tmp_path, lang) <= 16
    text = _pdftotext(pdf, tmp_path, lang)
    flat = re.sub(r"\s+", "", text)
    assert fmt.num(analysis["index"]["value"]) in text
    for title in TITLES[lang]:
        assert re.sub(r"\s+", "", title) in flat, title
    assert re.sub(r"\s+", "", ctx["meta"]["title"]) in flat
    footer = "第2页/共" if lang == "zh" else "Page 2 of"
    assert footer.replace(" ", "") in flat or footer in text
    # the hostile comment is printed as literal text, not interpreted
    assert re.sub(r"\s+", "", XSS) in flat
    assert "\ufffd" not in text  # no undecodable glyphs (tofu shows up as replacement characters)
