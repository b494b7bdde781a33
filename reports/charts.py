"""Plotly figures from the context's chart data, exported to SVG through Kaleido with one reused browser.

Why it is built this way (shared/notes/pdf-stack.md): a new browser per figure costs 4–7 s, so one Kaleido
server is started per process on first use and stopped at exit; ``BROWSER_PATH`` points at
``scripts/chromium-offline`` so that Chromium makes no DNS look-ups; ``mathjax=False`` and the installed
plotly.js keep the page off every CDN. Kaleido never downloads a browser here: with no Chromium, rendering fails
with a clear `ChartError`.

Legibility rules applied to every figure: numbers are placed next to (never on top of) error bars; point labels
are placed by a small collision-avoiding search; long labels are shortened in the context; CJK text uses
"WenQuanYi Micro Hei" (DejaVu Sans has no CJK glyphs).
"""

from __future__ import annotations

import atexit
import math
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["ChartError", "browser_running", "figure", "figure_json", "render_svgs", "shutdown", "to_svg"]

FONT = "DejaVu Sans, WenQuanYi Micro Hei, sans-serif"
FONT_ZH = "WenQuanYi Micro Hei, DejaVu Sans, sans-serif"
WIDTH = 680
OWN = "#1f4e79"
OTHERS = ["#9aa5b1", "#c8a165", "#7fa37f", "#b07aa1", "#6c8ebf", "#d4a5a5"]
LEVEL_COLOURS = {0: "#1f4e79", 1: "#3f7cb8", 2: "#9cc3e6", 3: "#cfe2f3"}
QUADRANT_COLOURS = {"improve_first": "#c0392b", "keep_up": "#1f4e79", "low_priority": "#9aa5b1",
                    "possible_overkill": "#c8a165"}
STACK_COLOURS = {"defection": "#c0392b", "indifference": "#f0b429", "loyalty": "#2e8b57",
                 "detractors": "#c0392b", "passives": "#c9ccd1", "promoters": "#2e8b57"}
STACK_TEXT = {"indifference": "#222", "passives": "#222"}
GRID = "#e3e6ea"
EXPORT_TIMEOUT_S = 120.0
TABS = 2  # browser tabs rendering a batch of figures side by side (one browser)
WRAPPER = Path(__file__).resolve().parents[1] / "scripts" / "chromium-offline"


class ChartError(RuntimeError):
    """A chart could not be exported (no browser, Kaleido failure)."""


# ---------------------------------------------------------------------------------------------------- browser
_lock = threading.Lock()
_running = False


def _ensure_browser_path() -> None:
    """Point Kaleido (choreographer) at the offline wrapper unless the caller chose a browser already."""
    if not os.environ.get("BROWSER_PATH") and WRAPPER.is_file() and os.access(WRAPPER, os.X_OK):
        os.environ["BROWSER_PATH"] = str(WRAPPER)


def _start() -> None:
    global _running
    with _lock:
        if _running:
            return
        _ensure_browser_path()
        _install_thread_hook()
        import kaleido
        import plotly

        js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        try:
            kaleido.start_sync_server(n=TABS, mathjax=False, plotlyjs=str(js) if js.is_file() else None,
                                      silence_warnings=True)
        except Exception as exc:  # kaleido raises several types (ChromeNotFoundError, BrowserFailedError, ...)
            raise ChartError(f"cannot start the chart browser (Kaleido/Chromium): {exc}") from exc
        _running = True
        atexit.register(shutdown)


def shutdown() -> None:
    """Stop the process's chart browser (registered at exit; safe to call twice)."""
    global _running
    with _lock:
        if not _running:
            return
        import kaleido

        try:
            kaleido.stop_sync_server(silence_warnings=True)
        finally:
            _running = False


def browser_running() -> bool:
    return _running


_server_errors: list[BaseException] = []
_hook_installed = False


def _install_thread_hook() -> None:
    """Keep the exception that ends Kaleido's server thread (a browser that cannot start) for our error message
    instead of letting Python print its traceback in the middle of the CLI's output; other threads unchanged."""
    global _hook_installed
    if _hook_installed:
        return
    previous = threading.excepthook

    def hook(args: Any) -> None:
        if args.thread is not None and args.thread is _server_thread():
            _server_errors.append(args.exc_value)
            return
        previous(args)

    threading.excepthook = hook
    _hook_installed = True


def _server_thread() -> threading.Thread | None:
    """Kaleido's server thread (it holds the browser); None when this Kaleido version hides it."""
    try:
        from kaleido import _sync_server

        return getattr(_sync_server.GlobalKaleidoServer(), "_thread", None)
    except Exception:  # a private detail of Kaleido; without it only the timeout guards us
        return None


def _watched(job: Callable[[], Any], timeout: float) -> Any:
    """Run ``job`` (a call into Kaleido's sync server) in a watched helper thread and return its result.

    Kaleido's sync server waits forever for an answer when its browser dies (e.g. Chromium cannot start: its
    server thread ends, the request queue is never served). So the call runs in a daemon thread that is watched:
    if Kaleido's thread is gone, or nothing comes back within ``timeout``, the export fails with a clear
    `ChartError` instead of hanging the report (and the CLI, and the request) for good.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            with warnings.catch_warnings():  # plotly warns that kopts are ignored with a running server: expected
                warnings.filterwarnings("ignore", message="The kopts argument is ignored")
                box["data"] = job()
        except Exception as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=work, name="chart-export", daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    server = _server_thread()
    while worker.is_alive():
        worker.join(0.2)
        if not worker.is_alive():
            break
        if server is not None and not server.is_alive():
            _abandon()
            why = ""
            if _server_errors:
                err = _server_errors[-1]
                first = (err.args[0] if err.args else str(err)) if isinstance(err, Exception) else str(err)
                why = f" ({type(err).__name__}: {str(first)[:160]})"
            raise ChartError("chart export failed: the chart browser (Kaleido/Chromium) stopped or could not start"
                             f"{why}; check that Chromium runs ({os.environ.get('BROWSER_PATH') or 'chromium'})")
        if time.monotonic() > deadline:
            _abandon()
            raise ChartError(f"chart export failed: no answer from the chart browser in {timeout:.0f} s")
    if "error" in box:
        raise ChartError(f"chart export failed: {box['error']}") from box["error"]
    return box["data"]


def to_svg(fig: go.Figure) -> str:
    """One figure as SVG text, through the process's shared browser (watched: see `_watched`)."""
    _start()
    data = _watched(lambda: fig.to_image(format="svg"), EXPORT_TIMEOUT_S)
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


def _abandon() -> None:
    """Forget a dead or stuck chart server so that the next report starts a fresh one."""
    global _running
    with _lock:
        _running = False
    try:
        import kaleido

        server = _server_thread()
        if server is None or not server.is_alive():
            kaleido.stop_sync_server(silence_warnings=True)
    except Exception:  # best effort: the report has failed already and says why
        pass


def render_svgs(specs: Mapping[str, Mapping[str, Any] | None], lang: str) -> dict[str, str]:
    """SVG per chart name for every non-empty spec (the PDF path).

    All figures go to the browser in one batch (Kaleido's ``write_fig_from_object``), rendered by ``TABS``
    tabs side by side: one round trip instead of one per figure, measured ~0.5 s faster on a 10-chart report.
    Kaleido writes the batch to files, so they go through a private temporary folder. Falls back to one figure at
    a time when this Kaleido version has no batch call.
    """
    figs = {name: figure(spec, lang) for name, spec in specs.items() if spec}
    if not figs:
        return {}
    _start()
    try:
        from kaleido import _sync_server

        server = _sync_server.GlobalKaleidoServer()
        call = server.call_function
    except (ImportError, AttributeError):  # pragma: no cover - another Kaleido: the per-figure path still works
        return {name: to_svg(fig) for name, fig in figs.items()}
    with tempfile.TemporaryDirectory(prefix="csi-charts-") as tmp:
        paths = {name: Path(tmp) / f"{k}.svg" for k, name in enumerate(figs)}
        jobs = [{"fig": fig.to_dict(), "path": str(paths[name]), "opts": {"format": "svg"}}
                for name, fig in figs.items()]
        _watched(lambda: call("write_fig_from_object", jobs, cancel_on_error=True),
                 EXPORT_TIMEOUT_S + 2 * len(jobs))
        missing = [name for name, p in paths.items() if not p.is_file()]
        if missing:
            raise ChartError(f"chart export failed: no SVG for {', '.join(missing)}")
        return {name: p.read_text(encoding="utf-8") for name, p in paths.items()}


def figure_json(spec: Mapping[str, Any], lang: str) -> str:
    """The figure as Plotly JSON (the interactive HTML path; no browser needed)."""
    return str(figure(spec, lang).to_json())


# ---------------------------------------------------------------------------------------------------- helpers
def _layout(fig: go.Figure, lang: str, height: int, title: str | None = None, **kw: Any) -> go.Figure:
    """House layout; ``title`` is accepted but not drawn: the HTML caption carries it (selectable, translatable)."""
    fig.update_layout(
        width=WIDTH, height=height, template="simple_white",
        font={"family": FONT_ZH if lang == "zh" else FONT, "size": 11, "color": "#222"},
        margin=kw.pop("margin", {"l": 10, "r": 20, "t": 12, "b": 36}),
        paper_bgcolor="white", plot_bgcolor="white", **kw,
    )
    return fig


def _err(
    values: Sequence[float | None], ci: Sequence[Sequence[float] | None] | None
) -> tuple[list[float], list[float]]:
    plus, minus = [], []
    for v, c in zip(values, ci or [None] * len(values), strict=True):
        if v is None or not c:
            plus.append(0.0)
            minus.append(0.0)
        else:
            plus.append(max(0.0, c[1] - v))
            minus.append(max(0.0, v - c[0]))
    return plus, minus


def _num(v: float | None, digits: int = 1) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.{digits}f}".replace("-", "−")


def place_labels(
    xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], x_range: tuple[float, float],
    y_range: tuple[float, float], plot_w: float, plot_h: float, char_w: float = 7.0, line_h: float = 14.0,
    marker_r: float = 6.0,
) -> list[tuple[float, float]]:
    """Pixel offsets (dx, dy) for point labels so that no two labels overlap each other or a marker.

    Greedy: points in order of crowding, each tries 12 candidate positions around its marker (nearest first) and
    takes the first that collides with nothing placed so far, else the least-overlapping one. Good enough for the
    15–30 points of an importance-performance chart; deterministic, so the PDF does not change between runs.
    """
    sx = plot_w / ((x_range[1] - x_range[0]) or 1.0)
    sy = plot_h / ((y_range[1] - y_range[0]) or 1.0)
    px = [(x - x_range[0]) * sx for x in xs]
    py = [(y - y_range[0]) * sy for y in ys]  # y up
    boxes: list[tuple[float, float, float, float]] = [(x - marker_r, y - marker_r, x + marker_r, y + marker_r)
                                                      for x, y in zip(px, py, strict=True)]
    gap = marker_r + 2
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(xs)

    def overlap(b: tuple[float, float, float, float]) -> float:
        tot = 0.0
        for o in boxes:
            w = min(b[2], o[2]) - max(b[0], o[0])
            h = min(b[3], o[3]) - max(b[1], o[1])
            if w > 0 and h > 0:
                tot += w * h
        # leaving the plot area counts as overlap too
        if b[0] < 0 or b[2] > plot_w or b[1] < 0 or b[3] > plot_h:
            tot += 1e4
        return tot

    crowd = [sum(1 for j in range(len(xs)) if abs(px[i] - px[j]) < 40 and abs(py[i] - py[j]) < 20)
             for i in range(len(xs))]
    for i in sorted(range(len(xs)), key=lambda k: -crowd[k]):
        w = char_w * max(1, len(texts[i])) + 2
        h = line_h
        cands = [(gap + w / 2, 0), (-gap - w / 2, 0), (0, gap + h / 2), (0, -gap - h / 2),
                 (gap + w / 2, gap), (-gap - w / 2, gap), (gap + w / 2, -gap), (-gap - w / 2, -gap),
                 (0, 2 * gap + h), (0, -2 * gap - h), (2 * gap + w, 0), (-2 * gap - w, 0)]
        best, best_o = cands[0], float("inf")
        for dx, dy in cands:
            cx, cy = px[i] + dx, py[i] + dy
            b = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            o = overlap(b)
            if o < best_o:
                best, best_o = (dx, dy), o
            if o == 0:
                break
        cx, cy = px[i] + best[0], py[i] + best[1]
        boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        out[i] = (best[0], best[1])
    return out


def _padded(lo: float, hi: float, frac: float = 0.08) -> tuple[float, float]:
    span = (hi - lo) or max(abs(hi), 1.0) * 0.1
    return lo - frac * span, hi + frac * span


# ---------------------------------------------------------------------------------------------------- figures
def _index_bars(spec: Mapping[str, Any], lang: str) -> go.Figure:
    labels, levels, values = spec["labels"], spec["levels"], spec["values"]
    indent = "\u3000" if lang == "zh" else "\u00a0\u00a0\u00a0"
    cats = [indent * lv + lab for lab, lv in zip(labels, levels, strict=True)]
    plus, minus = _err(values, spec["ci"])
    fig = go.Figure(go.Bar(
        y=cats, x=values, orientation="h", marker_color=[LEVEL_COLOURS.get(lv, "#cfe2f3") for lv in levels],
        error_x={"type": "data", "array": plus, "arrayminus": minus, "color": "#444", "thickness": 1, "width": 3},
        hovertemplate="%{y}: %{x:.1f}<extra></extra>"))
    for c, v, p in zip(cats, values, plus, strict=True):
        fig.add_annotation(x=v + p + 1.2, y=c, text=_num(v), showarrow=False, xanchor="left", font={"size": 10})
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=cats, ticks="", showline=False)
    fig.update_xaxes(range=[0, 100], gridcolor=GRID, showgrid=True, dtick=20)
    return _layout(fig, lang, 44 + 16 * len(cats), spec.get("title"), margin={"l": 10, "r": 30, "t": 8, "b": 26},
                   bargap=0.25)


def _ipa(spec: Mapping[str, Any], lang: str) -> go.Figure:
    xs, ys, nums = spec["x"], spec["y"], [str(n) for n in spec["numbers"]]
    x_range = _padded(min(xs), max(xs))
    y_range = _padded(min(ys), max(ys), 0.16)
    height, margin = 270, {"l": 56, "r": 20, "t": 10, "b": 38}
    offsets = place_labels(xs, ys, nums, x_range, y_range, WIDTH - margin["l"] - margin["r"],
                           height - margin["t"] - margin["b"])
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers", marker={"size": 9, "color": [QUADRANT_COLOURS.get(q, OWN) for q in
                                                                   spec["quadrant"]], "line": {"width": 0}},
        customdata=spec["labels"], hovertemplate="%{customdata}<br>%{x:.1f}, %{y:.3f}<extra></extra>",
        showlegend=False))
    fig.update_layout(annotations=[
        {"x": x, "y": y, "text": n, "showarrow": False, "xshift": dx, "yshift": dy,
         "font": {"size": 10, "color": QUADRANT_COLOURS.get(q, OWN)}}
        for x, y, n, (dx, dy), q in zip(xs, ys, nums, offsets, spec["quadrant"], strict=True)])
    if spec.get("split_x") is not None:
        fig.add_vline(x=spec["split_x"], line={"dash": "dash", "color": "#888", "width": 1})
    if spec.get("split_y") is not None:
        fig.add_hline(y=spec["split_y"], line={"dash": "dash", "color": "#888", "width": 1})
    names = spec["quadrant_names"]
    corners = [("improve_first", 0.01, 0.99, "left", "top"), ("keep_up", 0.99, 0.99, "right", "top"),
               ("low_priority", 0.01, 0.01, "left", "bottom"), ("possible_overkill", 0.99, 0.01, "right", "bottom")]
    for q, x, y, xa, ya in corners:
        fig.add_annotation(x=x, y=y, xref="paper", yref="paper", text=names[q], showarrow=False, xanchor=xa,
                           yanchor=ya, font={"size": 11, "color": QUADRANT_COLOURS[q]}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_xaxes(title=spec["x_title"], range=list(x_range), gridcolor=GRID, showgrid=True)
    fig.update_yaxes(title=spec["y_title"], range=list(y_range), gridcolor=GRID, showgrid=True, tickformat=".0f")
    return _layout(fig, lang, height, spec.get("title"), margin=margin)


def _stack(spec: Mapping[str, Any], lang: str) -> go.Figure:
    fig = go.Figure()
    for p in spec["parts"]:
        v = p["value"] or 0.0
        fig.add_trace(go.Bar(
            y=[spec.get("bar") or ""], x=[v], orientation="h", name=f"{p['label']} {_num(v)}%",
            marker_color=STACK_COLOURS.get(p["key"], "#999"), text=[f"{_num(v)}%" if v >= 7 else ""],
            textposition="inside", insidetextanchor="middle",
            textfont={"color": STACK_TEXT.get(p["key"], "white"), "size": 11},
            hovertemplate=f"{p['label']}: %{{x:.1f}}%<extra></extra>"))
    fig.update_xaxes(range=[0, 100], ticksuffix="%", dtick=20, gridcolor=GRID, showgrid=False)
    fig.update_yaxes(showticklabels=False, ticks="", showline=False)
    return _layout(fig, lang, 150, spec.get("title"), barmode="stack", bargap=0.35,
                   legend={"orientation": "h", "x": 0, "y": -0.35, "traceorder": "normal"},
                   margin={"l": 10, "r": 20, "t": 12, "b": 50})


def _brand_bars(spec: Mapping[str, Any], lang: str) -> go.Figure:
    cats = spec["categories"]
    fig = go.Figure()
    k_other = 0
    for s in spec["series"]:
        colour = OWN if s["own"] else OTHERS[k_other % len(OTHERS)]
        k_other += 0 if s["own"] else 1
        text = [f"{_num(v)} {m}".strip() if v is not None else "—" for v, m in zip(s["values"], s["marks"],
                                                                                  strict=True)]
        fig.add_trace(go.Bar(y=cats, x=[v if v is not None else 0 for v in s["values"]], orientation="h",
                             name=s["name"], marker_color=colour, text=text, textposition="outside",
                             cliponaxis=False, textfont={"size": 10},
                             hovertemplate=f"{s['name']}: %{{x:.1f}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", ticks="", showline=False)
    fig.update_xaxes(range=[0, 100], dtick=20, gridcolor=GRID, showgrid=True)
    n = len(cats) * len(spec["series"])
    return _layout(fig, lang, 90 + 15 * n + 8 * len(cats), spec.get("title"), barmode="group", bargap=0.22,
                   bargroupgap=0.05, legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
                   margin={"l": 10, "r": 40, "t": 34, "b": 30})


def _trend(spec: Mapping[str, Any], lang: str) -> go.Figure:
    waves = spec["waves"]
    fig = go.Figure()
    allv: list[float] = []
    for k, s in enumerate(spec["series"]):
        vals = s["values"]
        allv += [v for v in vals if v is not None]
        if s["main"]:
            plus, minus = _err(vals, s["ci"])
            allv += [v + p for v, p in zip([v or 0 for v in vals], plus, strict=True)]
            allv += [v - m for v, m in zip([v or 0 for v in vals], minus, strict=True)]
            fig.add_trace(go.Scatter(
                x=waves, y=vals, name=s["name"], mode="lines+markers", line={"color": OWN, "width": 3},
                marker={"size": 9},
                error_y={"type": "data", "array": plus, "arrayminus": minus, "color": OWN, "thickness": 1.2,
                         "width": 5}, hovertemplate="%{x}: %{y:.1f}<extra></extra>"))
            for j, (w, v) in enumerate(zip(waves, vals, strict=True)):
                if v is not None:  # value beside the point, on white, clear of the error bar; the last one on
                    last = j == len(waves) - 1 and j > 0  # the right, where no line continues
                    fig.add_annotation(x=w, y=v, text=f"<b>{_num(v)}</b>", showarrow=False,
                                       xanchor="left" if last else "right", xshift=10 if last else -10,
                                       bgcolor="white", font={"size": 11, "color": OWN})
        else:
            fig.add_trace(go.Scatter(x=waves, y=vals, name=s["name"], mode="lines+markers",
                                     line={"color": OTHERS[(k - 1) % len(OTHERS)], "width": 1.5, "dash": "dot"},
                                     marker={"size": 6}, hovertemplate="%{x}: %{y:.1f}<extra></extra>"))
    lo, hi = (min(allv), max(allv)) if allv else (0.0, 100.0)
    fig.update_yaxes(range=list(_padded(lo, hi, 0.15)), gridcolor=GRID, showgrid=True)
    fig.update_xaxes(type="category", range=[-0.5, len(waves) - 0.5])
    return _layout(fig, lang, 300, spec.get("title"), legend={"orientation": "v", "x": 1.02, "y": 1},
                   margin={"l": 50, "r": 10, "t": 12, "b": 36})


def _segments(spec: Mapping[str, Any], lang: str) -> go.Figure:
    groups = spec["groups"]
    counts = [len(g["labels"]) for g in groups]
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, row_heights=[c + 0.8 for c in counts],
                        vertical_spacing=0.3 / max(len(groups), 1), subplot_titles=[g["title"] for g in groups])
    allx: list[float] = []
    anns: list[dict[str, Any]] = []  # collected and set once: add_annotation per label is slow (validation, copies)
    shapes: list[dict[str, Any]] = []
    for r, g in enumerate(groups, start=1):
        plus, minus = _err(g["values"], g["ci"])
        labels = [f"{lab} (n={n})" for lab, n in zip(g["labels"], g["n"], strict=True)]
        colours = ["#c8a165" if s else OWN for s in g["small_n"]]
        symbols = ["circle-open" if s else "circle" for s in g["small_n"]]
        fig.add_trace(go.Scatter(
            x=g["values"], y=labels, mode="markers", marker={"size": 8, "color": colours, "symbol": symbols},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "color": "#555", "thickness": 1, "width": 3},
            showlegend=False, hovertemplate="%{y}: %{x:.1f}<extra></extra>"), row=r, col=1)
        ref = "" if r == 1 else str(r)
        for v, p, lab, s in zip(g["values"], plus, labels, g["small_n"], strict=True):
            anns.append({"x": v + p, "y": lab, "xref": f"x{ref}", "yref": f"y{ref}",
                         "text": _num(v) + (" *" if s else ""), "showarrow": False, "xanchor": "left", "xshift": 4,
                         "font": {"size": 10}})
        fig.update_yaxes(autorange="reversed", ticks="", row=r, col=1)
        for v, c in zip(g["values"], g["ci"], strict=True):
            allx += [v] + (list(c) if c else [])
    if spec.get("overall") is not None:
        allx.append(spec["overall"])
        for r in range(1, len(groups) + 1):
            ref = "" if r == 1 else str(r)
            shapes.append({"type": "line", "x0": spec["overall"], "x1": spec["overall"], "y0": 0, "y1": 1,
                           "xref": f"x{ref}", "yref": f"y{ref} domain",
                           "line": {"dash": "dash", "color": "#888", "width": 1}})
    lo, hi = (min(allx), max(allx)) if allx else (0.0, 100.0)
    x0, x1 = _padded(lo, hi, 0.06)
    fig.update_xaxes(range=[x0, x1 + (x1 - x0) * 0.08], gridcolor=GRID, showgrid=True)
    for ann in fig.layout.annotations:
        if ann.text in [g["title"] for g in groups]:
            ann.update(x=0, xanchor="left", font={"size": 11})
    fig.update_layout(annotations=[*fig.layout.annotations, *anns], shapes=shapes)
    total = sum(counts)
    return _layout(fig, lang, 50 + 19 * total + 34 * len(groups), spec.get("title"),
                   margin={"l": 10, "r": 20, "t": 24, "b": 26})


def _wrap(label: str, lang: str, width: int) -> str:
    """Break a construct label into short lines for a box (words in English, characters in Chinese)."""
    if lang == "zh":
        return "<br>".join(label[i:i + width] for i in range(0, len(label), width))
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _path_diagram(spec: Mapping[str, Any], lang: str) -> go.Figure:
    """Constructs in columns by their longest path from a source; a lone construct in a column alternates above
    and below the middle, so that arrows skipping a column (CE → SAT) pass between boxes instead of through them.

    An arrow that would still cross a box it does not join (IMG → LOY past SAT) is drawn as a quadratic curve
    bowed away from the middle, by the smallest bow that clears every box; each coefficient sits on its arrow
    where it overlaps neither a box nor another coefficient.
    """
    cons = {c["id"]: c for c in spec["constructs"]}
    ids = list(cons)
    depth = {c: 0 for c in ids}
    for _ in ids:  # longest path from a source: the column of each construct
        for p in spec["paths"]:
            if p["source"] in depth and p["target"] in depth:
                depth[p["target"]] = max(depth[p["target"]], depth[p["source"]] + 1)
    cols: dict[int, list[str]] = {}
    for c in ids:
        cols.setdefault(depth[c], []).append(c)
    ncol = max(cols) + 1 if cols else 1
    pos: dict[str, tuple[float, float]] = {}
    for k in sorted(cols):
        members = cols[k]
        for j, c in enumerate(members):
            y = (0.78 if k % 2 == 0 else 0.22) if len(members) == 1 else 1 - (j + 0.5) / len(members)
            pos[c] = ((k + 0.5) / ncol, y)
    bw, bh = min(0.8 / ncol, 0.22), 0.22
    height = 265
    aspect = WIDTH / height  # data units are stretched: 1 in x is `aspect` times as long as 1 in y on the page

    def inside(x: float, y: float, skip: tuple[str, ...], pad: float = 0.012) -> bool:
        return any(abs(x - bx) < bw / 2 + pad and abs(y - by) < bh / 2 + pad * aspect
                   for c, (bx, by) in pos.items() if c not in skip)

    def edge(c: tuple[float, float], d: tuple[float, float]) -> tuple[float, float]:
        dx, dy = d[0] - c[0], d[1] - c[1]
        tx = (bw / 2) / abs(dx) if dx else float("inf")
        ty = (bh / 2) / abs(dy) if dy else float("inf")
        f = min(tx, ty)
        return c[0] + f * dx, c[1] + f * dy

    def bezier(p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float],
               t: float) -> tuple[float, float]:
        u = 1 - t
        return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1])

    routes: list[tuple[dict[str, Any], tuple[float, float], tuple[float, float], tuple[float, float] | None]] = []
    for p in spec["paths"]:
        if p["source"] not in pos or p["target"] not in pos:
            continue
        a, b = pos[p["source"]], pos[p["target"]]
        ends = (p["source"], p["target"])
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        ctrl: tuple[float, float] | None = None
        if any(inside(*bezier(a, mid, b, t / 40), ends) for t in range(4, 37)):
            # bow perpendicular to the chord (in page units), away from the diagram's middle, as little as works
            dx, dy = (b[0] - a[0]) * aspect, b[1] - a[1]
            norm = math.hypot(dx, dy) or 1.0
            nx, ny = -dy / norm / aspect, dx / norm
            sign = 1.0 if (mid[1] >= 0.5) == (ny >= 0) else -1.0
            for bow in (0.15, 0.22, 0.3, 0.4, 0.5):
                for s in (sign, -sign):
                    cand = (mid[0] + s * bow * nx, mid[1] + s * bow * ny)
                    if not any(inside(*bezier(a, cand, b, t / 40), ends) for t in range(4, 37)):
                        ctrl = cand
                        break
                if ctrl is not None:
                    break
        routes.append((p, a, b, ctrl))

    fig = go.Figure()
    anns: list[dict[str, Any]] = []  # collected and set once: add_annotation/add_shape one by one is slow
    shapes: list[dict[str, Any]] = []
    placed: list[tuple[float, float]] = []
    y_lo, y_hi = 0.0, 1.0
    for p, a, b, ctrl in routes:
        if ctrl is None:
            s0, t0 = edge(a, b), edge(b, a)
            anns.append({"x": t0[0], "y": t0[1], "ax": s0[0], "ay": s0[1], "xref": "x", "yref": "y", "axref": "x",
                         "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowsize": 1, "arrowwidth": 1.2,
                         "arrowcolor": "#667", "text": ""})

            def point(f: float, s0: tuple[float, float] = s0, t0: tuple[float, float] = t0) -> tuple[float, float]:
                return s0[0] + f * (t0[0] - s0[0]), s0[1] + f * (t0[1] - s0[1])
        else:
            s0, t0 = edge(a, ctrl), edge(b, ctrl)
            c0 = ctrl
            shapes.append({"type": "path", "xref": "x", "yref": "y", "line": {"color": "#556", "width": 1.4},
                           "fillcolor": "rgba(0,0,0,0)",
                           "path": f"M {s0[0]:.4f},{s0[1]:.4f} Q {c0[0]:.4f},{c0[1]:.4f} {t0[0]:.4f},{t0[1]:.4f}"})
            tail = bezier(s0, c0, t0, 0.9)
            anns.append({"x": t0[0], "y": t0[1], "ax": tail[0], "ay": tail[1], "xref": "x", "yref": "y",
                         "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowsize": 1,
                         "arrowwidth": 1.2, "arrowcolor": "#667", "text": ""})
            apex = bezier(s0, c0, t0, 0.5)
            y_lo, y_hi = min(y_lo, apex[1] - 0.06), max(y_hi, apex[1] + 0.06)

            def point(f: float, s0: tuple[float, float] = s0, c0: tuple[float, float] = c0,
                      t0: tuple[float, float] = t0) -> tuple[float, float]:
                return bezier(s0, c0, t0, f)
        # the coefficient where it overlaps no box and no other coefficient (crossing arrows), nearest the middle
        best = point(0.5)
        for f in (0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75):
            lx, ly = point(f)
            if not inside(lx, ly, (), pad=0.025) and all(abs(lx - ox) * WIDTH > 34 or abs(ly - oy) * height > 16
                                                         for ox, oy in placed):
                best = (lx, ly)
                break
        placed.append(best)
        anns.append({"x": best[0], "y": best[1], "xref": "x", "yref": "y", "text": _num(p["coef"], 2),
                     "showarrow": False, "bgcolor": "white", "font": {"size": 10}})
    width_chars = 5 if lang == "zh" else 12
    for c, (x, y) in pos.items():
        main = c == spec.get("satisfaction")
        shapes.append({"type": "rect", "xref": "x", "yref": "y", "x0": x - bw / 2, "x1": x + bw / 2,
                       "y0": y - bh / 2, "y1": y + bh / 2, "fillcolor": OWN if main else "#dbe8f5",
                       "line": {"width": 1, "color": OWN}, "opacity": 1})
        r2 = cons[c].get("r2")
        text = _wrap(cons[c]["label"], lang, width_chars) + (f"<br>R² = {_num(r2, 2)}" if r2 is not None else "")
        anns.append({"x": x, "y": y, "xref": "x", "yref": "y", "text": text, "showarrow": False,
                     "font": {"size": 10, "color": "white" if main else "#1d232a"}})
    fig.update_layout(annotations=anns, shapes=shapes)
    fig.update_xaxes(visible=False, range=[0, 1])
    fig.update_yaxes(visible=False, range=[y_lo, y_hi])
    return _layout(fig, lang, round(height * (y_hi - y_lo)), spec.get("title"),
                   margin={"l": 6, "r": 6, "t": 6, "b": 6})


def _ipma(spec: Mapping[str, Any], lang: str) -> go.Figure:
    xs, ys, labels = spec["x"], spec["y"], spec["labels"]
    x_range, y_range = _padded(min(xs), max(xs), 0.25), _padded(min(ys), max(ys), 0.25)
    height, margin = 340, {"l": 60, "r": 20, "t": 12, "b": 50}
    cw = 11.0 if lang == "zh" else 6.5
    offsets = place_labels(xs, ys, labels, x_range, y_range, WIDTH - margin["l"] - margin["r"],
                           height - margin["t"] - margin["b"], char_w=cw)
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers", marker={"size": 10, "color": OWN}, showlegend=False,
                               customdata=labels, hovertemplate="%{customdata}: %{x:.1f}, %{y:.3f}<extra></extra>"))
    for x, y, lab, (dx, dy) in zip(xs, ys, labels, offsets, strict=True):
        fig.add_annotation(x=x, y=y, text=lab, showarrow=False, xshift=dx, yshift=dy, font={"size": 10})
    fig.update_xaxes(title=spec["x_title"], range=list(x_range), gridcolor=GRID, showgrid=True)
    fig.update_yaxes(title=spec["y_title"], range=list(y_range), gridcolor=GRID, showgrid=True)
    return _layout(fig, lang, height, spec.get("title"), margin=margin)


_KINDS: dict[str, Callable[[Mapping[str, Any], str], go.Figure]] = {
    "index_bars": _index_bars, "ipa": _ipa, "stack": _stack, "brand_bars": _brand_bars, "trend": _trend,
    "segments": _segments, "path_diagram": _path_diagram, "ipma": _ipma,
}


def figure(spec: Mapping[str, Any], lang: str) -> go.Figure:
    """The Plotly figure for one chart spec from the context (``spec["kind"]`` selects the drawing)."""
    try:
        draw = _KINDS[spec["kind"]]
    except KeyError as exc:
        raise ChartError(f"unknown chart kind {spec.get('kind')!r}") from exc
    return draw(spec, lang)
