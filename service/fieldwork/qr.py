"""A QR code of a survey's public link, as PNG (print, slides) and SVG (scales without blur), with segno."""

from __future__ import annotations

from pathlib import Path

import segno


def write_qr(url: str, out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    code = segno.make(url, error="m", micro=False)
    png, svg = out_dir / f"{stem}-qr.png", out_dir / f"{stem}-qr.svg"
    code.save(png, scale=10, border=4)
    code.save(svg, scale=10, border=4, title=url)
    return png, svg
