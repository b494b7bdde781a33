"""`ResponseData`: the analytics input (docs/DESIGN.md, "analytics.data.ResponseData").

Answers are kept as the stored integer codes (raw scale value, ``-1`` missing, ``-2`` not applicable) in two
dense arrays, so every analysis is vectorised over respondents: ``resp`` (n, n_respondent_items) and ``brand``
(n, n_brands, n_brand_items). Scores (0-100, NaN for missing and N/A) are computed on demand through
`analytics.scoring`.

`ResponseData.from_frame` parses the canonical response table (one row per respondent and brand rated) and
`ResponseData.to_frame` writes it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from analytics.inference import check_weights
from analytics.scoring import ItemScoring, item_scoring, score_matrix
from survey_defs.codebook import META_COLUMNS, Codebook, codebook_of
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, SurveyDefinition

__all__ = ["META_COLUMNS", "ResponseData"]



def _obj(a: ArrayLike | None, n: int, fill: object = None) -> NDArray[np.object_]:
    if a is None:
        out = np.empty(n, dtype=object)
        out[:] = fill
        return out
    return np.asarray(a, dtype=object)


@dataclass(frozen=True, eq=False)
class ResponseData:
    """Coded answers of n respondents to one survey definition (docs/DESIGN.md).

    Attributes
    ----------
    definition : SurveyDefinition
    respondent_id : (n,) object array of str
    resp : (n, len(definition.respondent_item_ids)) int16 codes
    brand : (n, len(definition.brand_ids), len(definition.brand_item_ids)) int16 codes; a brand the respondent
        did not rate is all ``-1``
    wave, channel : (n,) object arrays (wave id or None; web | api | phone | paper | import)
    started_at, submitted_at : (n,) float64 epoch seconds, NaN when unknown
    texts : text item id -> (n,) list of answers
    weight : (n,) float64 survey weights, or None for equal weights
    """

    definition: SurveyDefinition
    respondent_id: NDArray[np.object_]
    resp: NDArray[np.int16]
    brand: NDArray[np.int16]
    wave: NDArray[np.object_]
    channel: NDArray[np.object_]
    started_at: NDArray[np.float64]
    submitted_at: NDArray[np.float64]
    texts: dict[str, list[str | None]] = field(default_factory=dict)
    weight: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        d = self.definition
        rid = np.asarray(self.respondent_id, dtype=object)
        n = rid.shape[0]
        if rid.ndim != 1:
            raise ValueError("respondent_id must be one-dimensional")
        k_r, n_b, k_b = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
        resp = np.asarray(self.resp, dtype=np.int16)
        if resp.shape != (n, k_r):
            raise ValueError(f"resp has shape {resp.shape}, expected ({n}, {k_r}) (respondent_item_ids)")
        brand = np.asarray(self.brand, dtype=np.int16)
        if brand.shape != (n, n_b, k_b):
            raise ValueError(f"brand has shape {brand.shape}, expected ({n}, {n_b}, {k_b}) (brands x brand items)")
        set_ = object.__setattr__
        set_(self, "respondent_id", rid)
        set_(self, "resp", resp)
        set_(self, "brand", brand)
        for name in ("wave", "channel"):
            a = np.asarray(getattr(self, name), dtype=object)
            if a.shape != (n,):
                raise ValueError(f"{name} has shape {a.shape}, expected ({n},)")
            set_(self, name, a)
        for name in ("started_at", "submitted_at"):
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.shape != (n,):
                raise ValueError(f"{name} has shape {a.shape}, expected ({n},)")
            set_(self, name, a)
        for tid, col in self.texts.items():
            if tid not in d.text_item_ids:
                raise ValueError(f"texts: {tid!r} is not a text item of the definition")
            if len(col) != n:
                raise ValueError(f"texts[{tid!r}] has {len(col)} answers, expected {n}")
        if self.weight is not None:
            set_(self, "weight", check_weights(self.weight, n, "ResponseData.weight"))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        definition: SurveyDefinition,
        resp: ArrayLike,
        brand: ArrayLike,
        *,
        respondent_id: ArrayLike | None = None,
        wave: ArrayLike | None = None,
        channel: ArrayLike | None = None,
        started_at: ArrayLike | None = None,
        submitted_at: ArrayLike | None = None,
        weight: ArrayLike | None = None,
    ) -> ResponseData:
        """Build from code arrays, filling metadata with defaults (ids ``r0..``, no wave, channel ``import``)."""
        resp_a = np.asarray(resp, dtype=np.int16)
        n = resp_a.shape[0]
        rid = np.array([f"r{i}" for i in range(n)], dtype=object) if respondent_id is None else respondent_id
        nan = np.full(n, np.nan)
        return cls(
            definition=definition,
            respondent_id=np.asarray(rid, dtype=object),
            resp=resp_a,
            brand=np.asarray(brand, dtype=np.int16),
            wave=_obj(wave, n),
            channel=_obj(channel, n, "import"),
            started_at=nan if started_at is None else np.asarray(started_at, dtype=np.float64),
            submitted_at=nan.copy() if submitted_at is None else np.asarray(submitted_at, dtype=np.float64),
            weight=None if weight is None else np.asarray(weight, dtype=np.float64),
        )

    # ------------------------------------------------------------------ basic views
    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.respondent_id.shape[0])

    def weights(self) -> NDArray[np.float64]:
        """The survey weights, or ones."""
        return self.weight if self.weight is not None else np.ones(self.n)

    def _brand_index(self, brand_id: str | None) -> int:
        d = self.definition
        if brand_id is None:
            brand_id = d.own_brand.id
        try:
            return d.brand_ids.index(brand_id)
        except ValueError:
            raise ValueError(f"unknown brand {brand_id!r}; the definition has {d.brand_ids}") from None

    def _locate(self, item_id: str) -> tuple[bool, int]:
        d = self.definition
        if item_id not in d.item_map:
            raise ValueError(f"unknown item {item_id!r}")
        ids = d.brand_item_ids if d.is_per_brand(item_id) else d.respondent_item_ids
        if item_id not in ids:
            raise ValueError(f"item {item_id!r} is a text item and has no codes")
        return d.is_per_brand(item_id), ids.index(item_id)

    def codes(self, item_id: str, brand: str | None = None) -> NDArray[np.int16]:
        """(n,) codes of one item; per-brand items for ``brand`` (default: the own brand)."""
        per_brand, j = self._locate(item_id)
        if per_brand:
            return self.brand[:, self._brand_index(brand), j]
        return self.resp[:, j]

    def code_matrix(self, item_ids: Sequence[str], brand: str | None = None) -> NDArray[np.int16]:
        """(n, k) codes of several items (per-brand items for ``brand``, default the own brand).

        When the items are consecutive columns of one array this is a view (no copy): treat it as read-only.
        """
        located = [self._locate(i) for i in item_ids]
        per = {p for p, _ in located}
        cols = [c for _, c in located]
        if len(per) == 1 and cols and cols == list(range(cols[0], cols[0] + len(cols))):
            sl = slice(cols[0], cols[0] + len(cols))
            return self.brand[:, self._brand_index(brand), sl] if per == {True} else self.resp[:, sl]
        out = np.empty((self.n, len(item_ids)), dtype=np.int16)
        b = self._brand_index(brand) if True in per else 0
        for k, (p, c) in enumerate(located):
            out[:, k] = self.brand[:, b, c] if p else self.resp[:, c]
        return out

    def scoring(self, item_ids: Sequence[str]) -> list[ItemScoring]:
        return [item_scoring(self.definition, i) for i in item_ids]

    def scores(self, item_id: str, brand: str | None = None) -> NDArray[np.float64]:
        """(n,) 0-100 scores of one item, NaN for missing and N/A (docs/methods.md section 2)."""
        return self.score_matrix([item_id], brand)[:, 0]

    def score_matrix(self, item_ids: Sequence[str], brand: str | None = None) -> NDArray[np.float64]:
        """(n, k) 0-100 scores, NaN for missing and N/A."""
        return score_matrix(self.code_matrix(item_ids, brand), self.scoring(item_ids))

    def raw_values(self, item_id: str, brand: str | None = None) -> NDArray[np.float64]:
        """(n,) raw scale values as float (not reverse coded), NaN for missing and N/A."""
        c = self.codes(item_id, brand)
        out = c.astype(np.float64)
        out[c < 0] = np.nan
        return out

    def rated(self, brand_id: str | None = None) -> NDArray[np.bool_]:
        """(n,) which respondents rated ``brand_id``: any per-brand answer (N/A included) that is not missing.

        A survey with no per-brand items counts every respondent as rating the own brand only.
        """
        b = self._brand_index(brand_id)
        if not self.definition.brand_item_ids:
            own = self.definition.brand_ids.index(self.definition.own_brand.id)
            return np.full(self.n, b == own)
        return (self.brand[:, b, :] != MISSING_CODE).any(axis=1)

    def brand_scores(
        self, brand_id: str | None = None, item_ids: Sequence[str] | None = None
    ) -> NDArray[np.float64]:
        """(n_rated, n_items) 0-100 scores of the respondents who rated ``brand_id`` (default: own brand).

        ``item_ids`` defaults to all scored per-brand items. Row order follows `rated` (use it to align
        respondent weights: ``data.weights()[data.rated(brand_id)]``).
        """
        if item_ids is None:
            item_ids = [i for i in self.definition.brand_item_ids if self.definition.item(i).type != "choice"]
        return self.score_matrix(item_ids, brand_id)[self.rated(brand_id)]

    def segment_codes(self, item_id: str) -> NDArray[np.int16]:
        """(n,) option index of a choice item (``-1`` missing, ``-2`` N/A)."""
        it = self.definition.item_map.get(item_id)
        if it is None or it.type != "choice":
            raise ValueError(f"{item_id!r} is not a choice item")
        return self.codes(item_id)

    # ------------------------------------------------------------------ subsetting
    def take(self, index: ArrayLike) -> ResponseData:
        """A new ResponseData with the respondents at ``index`` (integer positions or a boolean mask)."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            if idx.shape != (self.n,):
                raise ValueError(f"mask has shape {idx.shape}, expected ({self.n},)")
            idx = np.flatnonzero(idx)
        texts = {k: list(np.asarray(v, dtype=object)[idx]) for k, v in self.texts.items()}
        return replace(
            self,
            respondent_id=self.respondent_id[idx],
            resp=self.resp[idx],
            brand=self.brand[idx],
            wave=self.wave[idx],
            channel=self.channel[idx],
            started_at=self.started_at[idx],
            submitted_at=self.submitted_at[idx],
            texts=texts,
            weight=None if self.weight is None else self.weight[idx],
        )

    def with_weights(self, weight: ArrayLike | None) -> ResponseData:
        """The same responses with other survey weights (e.g. from `analytics.survey_weights.rake`)."""
        return replace(self, weight=None if weight is None else np.asarray(weight, dtype=np.float64))

    def option_index(self, item_id: str, code: object) -> int:
        """0-based option index of a choice item from an option code, a label in any language, or an index."""
        it = self.definition.item_map.get(item_id)
        if it is None or it.type != "choice" or not it.options:
            raise ValueError(f"{item_id!r} is not a choice item")
        if isinstance(code, int | np.integer) and not isinstance(code, bool):
            if not 0 <= int(code) < len(it.options):
                raise ValueError(f"{item_id!r}: option index {code} out of range")
            return int(code)
        for k, o in enumerate(it.options):
            if code == o.code or code in o.label.values():
                return k
        raise ValueError(f"{item_id!r}: unknown option {code!r}")

    def filter(
        self,
        *,
        wave: str | Iterable[str] | None = None,
        brand: str | None = None,
        segment: Mapping[str, object] | None = None,
        mask: ArrayLike | None = None,
    ) -> ResponseData:
        """Respondents in ``wave`` (one id or several), who rated ``brand``, whose segment items match
        ``segment`` (item id -> option code / label / index, or a list of them), and where ``mask`` is True.
        """
        keep = np.ones(self.n, dtype=bool)
        if wave is not None:
            waves = [wave] if isinstance(wave, str) else list(wave)
            keep &= np.isin(self.wave.astype(str), [str(w) for w in waves]) & (self.wave != None)  # noqa: E711
        if brand is not None:
            keep &= self.rated(brand)
        for item_id, want in (segment or {}).items():
            wants = want if isinstance(want, list | tuple | set) else [want]
            idx = [self.option_index(item_id, w) for w in wants]
            keep &= np.isin(self.segment_codes(item_id), idx)
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.shape != (self.n,):
                raise ValueError(f"mask has shape {m.shape}, expected ({self.n},)")
            keep &= m
        return self if keep.all() else self.take(keep)

    # ------------------------------------------------------------------ canonical table
    @classmethod
    def from_frame(cls, definition: SurveyDefinition, df: pd.DataFrame, *, tz: str | None = None) -> ResponseData:
        """Parse the canonical response table (docs/DESIGN.md): one row per (respondent, brand rated).

        Values may be codes or labels in any of the definition's languages; ``NA`` (or the scale's N/A label)
        is not applicable, an empty cell is not answered. An optional ``weight`` column gives survey weights.
        Times without an offset are read in ``tz`` (an IANA name; default: the definition's zone,
        `SurveyDefinition.tz`; see `parse_times`).

        Raises
        ------
        ValueError
            With the 1-based data row (header not counted) and the column of the first bad cell: an unknown
            value, brand or wave, a duplicated (respondent, brand) row, or respondent-level answers that
            disagree between a respondent's rows.
        """
        return _parse_frame(cls, definition, df, tz)

    def to_frame(self, labels: str | None = None) -> pd.DataFrame:
        """The canonical response table: one row per (respondent, brand rated), codes or labels in a language.

        A respondent who rated no brand (or a survey without per-brand items) gives one row with the own brand.
        """
        return _to_frame(self, labels)


# ---------------------------------------------------------------------- parsing helpers
def _conv(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _factor(s: pd.Series) -> tuple[NDArray[np.intp], list[str]]:
    """Vectorised cell parsing: factorize the column, convert each distinct value once.

    Returns (index into the distinct strings per row, distinct strings); empty/NaN cells map to ``""``.
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    strs = [_conv(v) for v in uniq] + [""]
    return np.where(codes < 0, len(strs) - 1, codes).astype(np.intp), strs


def _cell_str(s: pd.Series) -> pd.Series:
    """Cells as stripped strings; NaN/None -> ''; floats that are integers -> '5' not '5.0'."""
    if isinstance(s.dtype, pd.StringDtype):
        # All text already (a CSV read as strings): strip in one vectorised pass, keeping the string dtype.
        # Factorizing a high-cardinality column (respondent keys: one distinct value per respondent) cost ~1 us
        # per row.
        return s.str.strip().fillna("")
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=False) == "string":
        return pd.Series(s.str.strip().to_numpy(dtype=object), index=s.index)
    idx, strs = _factor(s)
    return pd.Series(np.asarray(strs, dtype=object)[idx], index=s.index)


def _parse_codes(book: Codebook, item_id: str, col: pd.Series) -> NDArray[np.int16]:
    """A column's cells to codes through the codebook: each distinct spelling is parsed once."""
    idx, strs = _factor(col)
    table, problems = book.codecs[item_id].parse_many(strs)
    if problems:
        k = min(problems, key=lambda k: int(np.flatnonzero(idx == k)[0]))
        row = int(np.flatnonzero(idx == k)[0]) + 1
        raise ValueError(f"row {row}, column {item_id!r}: {problems[k]}")
    return table[idx]


def _first_per_group(values: NDArray[Any], group: NDArray[np.intp], n_groups: int) -> NDArray[Any]:
    first = np.full(n_groups, -1, dtype=np.intp)
    order = np.arange(len(group))[::-1]
    first[group[order]] = order  # last write wins -> first occurrence
    return values[first]


_HAS_OFFSET = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def parse_times(s: pd.Series, tz: str = "UTC") -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """ISO 8601 cells -> (UTC epoch seconds, NaN when empty or bad; mask of bad non-empty cells).

    A time with ``Z`` or an offset is taken as given; a naive one is wall-clock time in ``tz`` (an interview
    typed in Beijing is Beijing time). A wall-clock time that a DST change skips or repeats is bad. The common
    cases (all naive, or all with one offset) are one vectorised parse.
    """
    s = s.reset_index(drop=True)
    empty = (s == "").to_numpy()
    vals = s.where(~empty)
    t: pd.Series | None = None
    try:
        t = pd.to_datetime(vals, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        t = None
    if t is not None and isinstance(t.dtype, pd.DatetimeTZDtype):
        t = t.dt.tz_convert("UTC")
    elif t is not None and t.dtype.kind == "M":
        t = t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    else:
        # Mixed or partly bad: offsets and naive times parsed apart, each bad cell found.
        stripped = vals.astype("str").str.strip()
        has_tz = stripped.str.contains(r"\d" + _HAS_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
        t = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        if has_tz.any():
            aware = pd.to_datetime(vals[has_tz], utc=True, errors="coerce", format="ISO8601")
            t[has_tz] = aware
        naive = ~has_tz & ~empty
        if naive.any():
            local = pd.to_datetime(vals[naive], errors="coerce", format="ISO8601")
            if isinstance(local.dtype, pd.DatetimeTZDtype):  # pragma: no cover - offsets are caught above
                local = local.dt.tz_convert("UTC")
            else:
                local = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
            t[naive] = local
    bad = t.isna().to_numpy() & ~empty
    return (t - _EPOCH).dt.total_seconds().to_numpy(dtype=np.float64), bad


def _parse_frame(cls: type[ResponseData], d: SurveyDefinition, df: pd.DataFrame, tz: str | None = None) -> ResponseData:
    tz = tz or d.tz
    if "respondent" not in df.columns:
        raise ValueError("the response table has no 'respondent' column")
    coded = d.respondent_item_ids + d.brand_item_ids
    absent = [c for c in coded if c not in df.columns]
    if absent:
        raise ValueError(f"the response table lacks item columns: {', '.join(absent)}")
    df = df.reset_index(drop=True)
    n_rows = len(df)
    # Kept as a Series: with a string (Arrow) column, stripping and factorizing stay vectorised, and no million
    # Python strings are made for keys only an error message might quote.
    rkey = _cell_str(df["respondent"])
    empty = np.flatnonzero((rkey == "").to_numpy())
    if empty.size:
        raise ValueError(f"row {int(empty[0]) + 1}, column 'respondent': empty respondent key")
    group, uniq_ids = pd.factorize(rkey)
    n = len(uniq_ids)
    group = np.asarray(group, dtype=np.intp)
    # brand of each row: an id or a name in any language (empty = our own brand), one lookup per distinct value
    book = codebook_of(d)
    if "brand" in df.columns:
        bcodes, bstrs = _factor(df["brand"])
        table = np.empty(len(bstrs), dtype=np.intp)
        for k, u in enumerate(bstrs):
            try:
                table[k] = book.brand_index(u)
            except ValueError as e:
                raise ValueError(f"row {int(np.flatnonzero(bcodes == k)[0]) + 1}, column 'brand': {e}") from None
        bidx = table[bcodes]
    else:
        bidx = np.full(n_rows, d.brand_ids.index(d.own_brand.id), dtype=np.intp)
    key = group * max(len(d.brands), 1) + bidx
    dup = pd.Series(key).duplicated().to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise ValueError(
            f"row {r + 1}, column 'brand': respondent {rkey.iloc[r]!r} rated brand {d.brand_ids[bidx[r]]!r} twice"
        )
    # respondent-level answers: must agree across a respondent's rows
    resp = np.empty((n, len(d.respondent_item_ids)), dtype=np.int16)
    for j, item_id in enumerate(d.respondent_item_ids):
        c = _parse_codes(book, item_id, df[item_id])
        first = _first_per_group(c, group, n)
        bad = c != first[group]
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"row {r + 1}, column {item_id!r}: respondent {rkey.iloc[r]!r} has a different answer on another "
                "row (respondent-level items must agree)"
            )
        resp[:, j] = first
    brand = np.full((n, len(d.brand_ids), len(d.brand_item_ids)), MISSING_CODE, dtype=np.int16)
    for j, item_id in enumerate(d.brand_item_ids):
        brand[group, bidx, j] = _parse_codes(book, item_id, df[item_id])
    hidden_text = _hide(book, resp, brand, group, bidx)

    def meta(name: str) -> NDArray[np.object_]:
        if name not in df.columns:
            return np.full(n, None, dtype=object)
        v = _cell_str(df[name]).to_numpy(dtype=object)
        v[v == ""] = None
        return _first_per_group(v, group, n)

    wave = meta("wave")
    if d.waves:
        for u in pd.unique(wave):
            try:
                w = book.wave_id(u)
            except ValueError as e:
                r = int(np.flatnonzero(_cell_str(df["wave"]).to_numpy(dtype=object) == u)[0])
                raise ValueError(f"row {r + 1}, column 'wave': {e}") from None
            if w != u:
                wave[wave == u] = w
    channel = meta("channel")
    channel[channel == None] = "import"  # noqa: E711

    first_row = _first_per_group(np.arange(n_rows), group, n)

    def times(name: str) -> NDArray[np.float64]:
        """Respondent-level times: only each respondent's first row is parsed (times are nearly all distinct,
        so per-value conversion would dominate the whole parse)."""
        if name not in df.columns:
            return np.full(n, np.nan)
        raw = df[name].iloc[first_row]
        if raw.map(type).eq(str).all():
            s = raw.str.strip().reset_index(drop=True)
        else:
            s = _cell_str(raw).reset_index(drop=True)
        seconds, bad = parse_times(s, tz)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"row {int(first_row[k]) + 1}, column {name!r}: not an ISO 8601 time"
                             f"{'' if tz == 'UTC' else ' in ' + tz}: {s.iloc[k]!r}")
        return seconds

    texts: dict[str, list[str | None]] = {}
    for tid in d.text_item_ids:
        if tid in df.columns:
            v = meta(tid)
            if tid in hidden_text:
                gone = hidden_text[tid][first_row] & (v != None)  # noqa: E711 - elementwise
                if gone.any():
                    k = int(np.flatnonzero(gone)[0])
                    raise ValueError(f"row {int(first_row[k]) + 1}, column {tid!r}: not asked: shown only if "
                                     f"{book.visibility.condition(tid)}")
            for k in np.flatnonzero(v != None):  # noqa: E711 - elementwise; only answered cells are checked
                try:
                    v[k] = book.text(tid, v[k])
                except ValueError as e:
                    raise ValueError(f"row {int(first_row[k]) + 1}, column {tid!r}: {e}") from None
            texts[tid] = list(v)
    weight = None
    if "weight" in df.columns:
        wv = pd.to_numeric(df["weight"], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(wv) | (wv < 0)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(f"row {r + 1}, column 'weight': not a non-negative number")
        weight = _first_per_group(wv, group, n)
    return cls(
        definition=d,
        respondent_id=np.asarray(uniq_ids, dtype=object),
        resp=resp,
        brand=brand,
        wave=wave,
        channel=channel,
        started_at=times("started_at"),
        submitted_at=times("submitted_at"),
        texts=texts,
        weight=weight,
    )


def _hide(book: Codebook, resp: NDArray[np.int16], brand: NDArray[np.int16], group: NDArray[np.intp],
          bidx: NDArray[np.intp]) -> dict[str, NDArray[np.bool_]]:
    """Store ``HIDDEN_CODE`` (-3, not asked) for the items each row's own answers hide (``show_if``), in place;
    a hidden item that has an answer is a ValueError naming its row and the condition. Returns, per conditional
    text item, which rows hide it. The codebook decides (`Codebook.hidden_rows`); rows are (respondent, brand)."""
    if not book.visibility.any:
        return {}
    d = book.definition
    rows_b = brand[group, bidx] if d.brand_item_ids else None
    hr, hb, texts = book.hidden_rows(resp[group], rows_b)
    for ids, hid, codes in ((d.respondent_item_ids, hr, resp[group]), (d.brand_item_ids, hb, rows_b)):
        if codes is None or not hid.any():
            continue
        answered = hid & (codes != MISSING_CODE)
        if answered.any():
            r, j = (int(x[0]) for x in np.nonzero(answered))
            raise ValueError(f"row {r + 1}, column {ids[j]!r}: not asked: shown only if "
                             f"{book.visibility.condition(ids[j])}")
    r, j = np.nonzero(hr)
    resp[group[r], j] = HIDDEN_CODE
    r, j = np.nonzero(hb)
    brand[group[r], bidx[r], j] = HIDDEN_CODE
    return texts


def _label_table(d: SurveyDefinition, item_id: str, labels: str | None) -> tuple[int, NDArray[np.object_]]:
    """(offset, table) such that table[code + offset] is the cell text of every possible code, as the codebook
    renders it (so `from_frame` reads every cell back to the same code)."""
    c = codebook_of(d).codecs[item_id]
    cells = [c.render(code, labels) if code < 0 or code >= c.lo else None
             for code in range(HIDDEN_CODE, c.hi + 1)]
    return -HIDDEN_CODE, np.array(["" if v is None else str(v) for v in cells], dtype=object)


def _to_frame(data: ResponseData, labels: str | None) -> pd.DataFrame:
    d = data.definition
    if labels is not None and labels not in d.languages:
        raise ValueError(f"unknown label language {labels!r}; the definition has {d.languages}")
    n, n_b = data.n, len(d.brand_ids)
    own = d.brand_ids.index(d.own_brand.id)
    rated = (data.brand != MISSING_CODE).any(axis=2) if d.brand_item_ids else np.zeros((n, n_b), dtype=bool)
    none_rated = ~rated.any(axis=1)
    rated[none_rated, own] = True
    ri, bi = np.nonzero(rated)  # row-major: respondents in order, brands in definition order
    cols: dict[str, object] = {
        "respondent": data.respondent_id[ri],
        "brand": np.asarray(d.brand_ids, dtype=object)[bi],
        "wave": data.wave[ri],
        "channel": data.channel[ri],
    }
    for name in ("started_at", "submitted_at"):
        t = pd.to_datetime(data.__getattribute__(name)[ri], unit="s", utc=True)
        cols[name] = np.where(t.isna(), None, t.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for j, item_id in enumerate(d.respondent_item_ids):
        off, tab = _label_table(d, item_id, labels)
        cols[item_id] = tab[data.resp[ri, j].astype(np.intp) + off]
    for j, item_id in enumerate(d.brand_item_ids):
        off, tab = _label_table(d, item_id, labels)
        cols[item_id] = tab[data.brand[ri, bi, j].astype(np.intp) + off]
    for tid, v in data.texts.items():
        cols[tid] = np.asarray(v, dtype=object)[ri]
    if data.weight is not None:
        cols["weight"] = data.weight[ri]
    order = [*META_COLUMNS, *(i.id for i in d.items if i.id in cols)]
    if data.weight is not None:
        order.append("weight")
    return pd.DataFrame({c: cols[c] for c in order})
