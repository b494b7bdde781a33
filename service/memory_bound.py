"""The memory bound of a full analysis or report: estimated from ``count(*)`` before anything is read.

``count(*)`` times a measured cost per response (`estimate_analysis_bytes`) is compared with
``CSI_MAX_ANALYSIS_BYTES``, and a survey over the bound is refused with a 413 and a message that says how to get
under it, instead of being killed by the OOM killer half-way. The counts endpoint
(`service.surveys.service.counts`) needs no such bound: its counts by version, wave and channel are SQL aggregates;
nor does the streamed summary (`service.analysis.summarize_store`), whose memory does not grow with the responses.
"""

from __future__ import annotations

from service.errors import AppError

#: Peak memory of `analyze_store`, measured by ``bench/soak.py --only memory`` and
#: ``tests/reliability/test_memory_bound.py`` (utility_csi, 55 code cells per response): 2.36-2.42 GiB at 10^6
#: responses, 0.49 GiB at 10^5, 0.35-0.47 GiB at 10^4-2x10^4, over a ~280 MiB interpreter baseline, on SQLite and
#: PostgreSQL alike. Reading the store is a small part of it (int16 codes, ~0.3 KiB per response); the rest is the
#: float copies the analyses make per item and brand, plus a fixed working set of the bootstraps (below 10,000-
#: 20,000 respondents they resample respondents exactly, with count matrices of up to 4 million cells per block;
#: above, random groups of respondents). The two bootstrap worker threads each hold one block's draws and counts (~25
#: MiB at 20,000 respondents) in their own malloc arenas, and the same 20,000-response analysis peaked at 424-426 MiB
#: in every run here (quiet, and with three busy loops on the two cores) but at 469 MiB once in CI; the cause of that
#: run's extra 45 MiB was not reproduced, so the fixed part, 480 MiB, leaves room for it and more. The model charges
#: that fixed part, a part per response (ids, wave, channel, times) and a part per code cell, with >= 10% headroom at
#: every measured size; the soak and the test fail when a measurement exceeds the estimate, so a change in the
#: analytics that costs more memory is noticed.
ANALYSIS_BASE_BYTES = 480 << 20
ANALYSIS_BYTES_PER_RESPONSE = 512
ANALYSIS_BYTES_PER_CELL = 40


def estimate_analysis_bytes(n: int, cells: int) -> int:
    """Peak memory an analysis of ``n`` responses with ``cells`` codes each is expected to need."""
    return ANALYSIS_BASE_BYTES + n * (ANALYSIS_BYTES_PER_RESPONSE + ANALYSIS_BYTES_PER_CELL * cells)


class AnalysisTooLarge(AppError):
    """The analysis would exceed the configured memory bound; refused before loading anything."""

    status_code = 413


def resolve_bound(max_bytes: int | None) -> int:
    """``max_bytes``, or the ``CSI_MAX_ANALYSIS_BYTES`` setting when None (so reports and analyses share one bound)."""
    if max_bytes is not None:
        return max_bytes
    from service.settings import get_settings

    return get_settings().max_analysis_bytes


def check_bound(n: int, cells: int, max_bytes: int) -> None:
    """Raise `AnalysisTooLarge` when ``n`` responses of ``cells`` codes each are estimated over ``max_bytes``."""
    need = estimate_analysis_bytes(n, cells)
    if need > max_bytes:
        raise AnalysisTooLarge(
            f"analysing {n:,} responses would need about {need / 2**20:,.0f} MiB, over the configured bound of "
            f"{max_bytes / 2**20:,.0f} MiB (CSI_MAX_ANALYSIS_BYTES); filter by wave, ask for the streamed "
            f"summary, whose memory does not grow with the responses (mode=summary in the API, csi analyze "
            f"--summary), or raise the bound on a machine with more memory", loc=["query"])
