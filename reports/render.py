"""Context → HTML (Jinja2) → PDF (WeasyPrint), and the interactive offline HTML.

Safety, because respondents' free text ends up in a document handed to management: Jinja2 runs with
``autoescape=True`` and ``StrictUndefined`` (a missing context key is an error, not an empty cell), chart data
goes into ``<script type="application/json">`` through ``tojson`` (which escapes ``<``), and WeasyPrint gets a
URL fetcher that refuses everything but ``data:`` URIs, so a crafted ``<img src="file:///...">`` or an http URL
can neither read local files nor reach the network. Every failure surfaces as `ReportError`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from reports import charts as _charts
from reports.i18n import t

__all__ = ["TEMPLATES", "RefusedURL", "ReportError", "SafeURLFetcher", "check_language", "list_templates",
           "render_html", "render_pdf", "template_metadata"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ReportError(RuntimeError):
    """The report could not be rendered; the message says which step failed and why."""


class RefusedURL(ValueError):
    """A resource URL that the renderer does not fetch (anything but ``data:``)."""


def list_templates() -> list[str]:
    """Report template folders shipped with the package (a folder with a ``metadata.yaml``)."""
    return sorted(p.name for p in TEMPLATES.iterdir() if (p / "metadata.yaml").is_file())


def _template_dir(name: str) -> Path:
    if not _NAME.match(name) or not (TEMPLATES / name / "metadata.yaml").is_file():
        raise ReportError(f"unknown report template {name!r}; available: {', '.join(list_templates())}")
    return TEMPLATES / name


_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_PAGE_SIZE = re.compile(r"^(A[3-5]|B[45]|letter|legal)( (portrait|landscape))?$")


def template_metadata(name: str = "csi_standard") -> dict[str, Any]:
    """The template's ``metadata.yaml``, checked: ``files`` (``template``, ``stylesheet``), ``languages``,
    ``page_size``. The renderer takes the file names, the languages it supports and the page size from here.

    Raises `ReportError` naming the template and the field when the metadata is unusable.
    """
    path = _template_dir(name) / "metadata.yaml"
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"template {name!r}: metadata.yaml is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ReportError(f"template {name!r}: metadata.yaml is not a mapping")
    files = meta.get("files")
    if not isinstance(files, dict):
        raise ReportError(f"template {name!r}: metadata.yaml needs files: {{template: ..., stylesheet: ...}}")
    for key in ("template", "stylesheet"):
        f = files.get(key)
        if not isinstance(f, str) or not _FILE.match(f) or ".." in f:
            raise ReportError(f"template {name!r}: metadata.yaml files.{key} must be a file name in the template "
                              f"folder, got {f!r}")
        if not (path.parent / f).is_file():
            raise ReportError(f"template {name!r}: files.{key} names {f!r}, which is not in {path.parent.name}/")
    langs = meta.get("languages")
    if not isinstance(langs, list) or not langs or not all(isinstance(x, str) for x in langs):
        raise ReportError(f"template {name!r}: metadata.yaml languages must be a non-empty list, got {langs!r}")
    size = meta.get("page_size", "A4")
    if not isinstance(size, str) or not _PAGE_SIZE.match(size):
        raise ReportError(f"template {name!r}: metadata.yaml page_size {size!r} is not a CSS page size "
                          f"(A3, A4, A5, B4, B5, letter, legal, optionally with portrait/landscape)")
    return {**meta, "page_size": size}


def check_language(lang: str, template: str = "csi_standard") -> None:
    """Refuse a language the template does not declare (``metadata.yaml`` ``languages``) with a clear error."""
    langs = template_metadata(template)["languages"]
    if lang not in langs:
        raise ReportError(f"report template {template!r} is available in {', '.join(langs)}, not {lang!r}")


@cache
def _env(name: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(_template_dir(name))), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env


@cache
def _plotly_js() -> str:
    """plotly.min.js from the installed plotly package, for inlining (the HTML report must work offline)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ReportError(f"plotly.js not found at {path}; the interactive HTML needs the plotly package data")
    # A literal "</script" would end the inline script element early; escape it defensively.
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def _css_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def _page_counter_css(lang: str) -> str:
    """CSS ``content`` for the footer: "第 N 页 / 共 M 页" / "Page N of M" from the i18n pattern."""
    pattern = t("page_of", lang, page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for k, chunk in enumerate(pattern.split("\x00")):
        if k % 2:
            parts.append(f"counter({chunk})")
        elif chunk:
            parts.append(_css_string(chunk))
    return " ".join(parts)


def _chart_payload(context: Mapping[str, Any], interactive: bool) -> dict[str, Any]:
    specs: Mapping[str, Any] = context.get("charts") or {}
    lang = str(context["lang"])
    out: dict[str, Any] = {}
    try:
        if interactive:
            for name, spec in specs.items():
                if spec:
                    out[name] = json.loads(_charts.figure_json(spec, lang))
        else:
            for name, svg in _charts.render_svgs(specs, lang).items():
                out[name] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    except _charts.ChartError as exc:
        raise ReportError(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"chart data in the context is malformed: {type(exc).__name__}: {exc}") from exc
    return out


def render_html(context: Mapping[str, Any], template: str = "csi_standard", interactive: bool = False) -> str:
    """The report as HTML: static SVG charts for print (``interactive=False``) or Plotly charts with plotly.js inline.

    Raises `ReportError` on an unknown template, a context that does not fit the template (StrictUndefined),
    or a chart that cannot be drawn.
    """
    meta = template_metadata(template)
    check_language(str(context.get("lang")), template)
    env = _env(template)
    theme = (_template_dir(template) / meta["files"]["stylesheet"]).read_text(encoding="utf-8")
    charts = _chart_payload(context, interactive)
    try:
        return env.get_template(meta["files"]["template"]).render(
            ctx=context, t=context["t"], charts=charts, interactive=interactive,
            theme_css=Markup(theme), page_counter=Markup(_page_counter_css(str(context["lang"]))),
            plotly_js=Markup(_plotly_js()) if interactive else "",
            meta=meta, page_size=Markup(meta["page_size"]),
        )
    except TemplateError as exc:
        raise ReportError(f"template {template!r} failed: {type(exc).__name__}: {exc}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportError(f"the report context does not fit template {template!r}: {type(exc).__name__}: {exc}") \
            from exc


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class _Safe(URLFetcher):  # type: ignore[misc]
        """WeasyPrint fetcher that serves ``data:`` URIs only and refuses files and the network."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            if not url.lower().startswith("data:"):
                raise RefusedURL(f"refused to fetch {url[:80]!r}: only data: URIs are allowed in reports")
            return super().fetch(url, headers)

    return _Safe


def SafeURLFetcher() -> Any:  # noqa: N802 - reads like the class it builds; weasyprint is imported lazily
    """A WeasyPrint URL fetcher that allows only ``data:`` URIs (see the module docstring)."""
    return _fetcher_class()()


def render_pdf(context: Mapping[str, Any], template: str = "csi_standard") -> bytes:
    """The report as PDF bytes (WeasyPrint, data: URIs only). Raises `ReportError`."""
    html = render_html(context, template, interactive=False)
    try:
        from weasyprint import HTML

        return bytes(HTML(string=html, url_fetcher=SafeURLFetcher(), base_url=None).write_pdf())
    except ReportError:
        raise
    except Exception as exc:  # WeasyPrint raises many types; the caller needs one clear error
        raise ReportError(f"PDF rendering failed: {type(exc).__name__}: {exc}") from exc
