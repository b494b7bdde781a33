"""Every problem of a response table in one pass, each at its line and column.

Why one pass: an import of a 20,000-row phone survey that stops at the first problem, or reports the duplicated
rows only after every bad cell is fixed, costs the person fixing the file one round trip per problem. Each check
is vectorised over a column and records the rows it flags; messages are only written for the rows that are shown.

The same checks decide what ``--partial`` leaves out: every row with a problem, and with it every other row of
that respondent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.data import parse_times
from service.responses.importing.reading import Table
from survey_defs.codebook import (
    CHANNELS,
    CONTROL_CHARACTERS,
    MAX_TEXT,
    META_COLUMNS,
    WEIGHT_COLUMN,
    clean_text,
    codebook_of,
)
from survey_defs.schema import MISSING_CODE, SurveyDefinition

#: Problems listed at most (sorted by line); the rest are counted.
MAX_LISTED = 1000
MAX_KEY = 128  # response.respondent_key
MAX_WAVE = 64  # response.wave
_BAD = -999


def _refusal(lookup: Callable[[str], object], value: str) -> str | None:
    """Why the codebook refuses ``value`` (a brand or wave spelling), or None when it accepts it."""
    try:
        lookup(value)
    except ValueError as e:
        return str(e)
    return None


def _answer_codes(definition: SurveyDefinition, item_id: str,
                  values: pd.Series) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """The one place a cell's answer is looked up, through the codebook: (codes per row, mask of refused cells,
    the codebook's reason per refused distinct value, keyed by its position in ``values``' factorization).

    Few distinct spellings per column: each is parsed once, then mapped back (fast at 10^6 rows).
    """
    inv, uniq = pd.factorize(values, use_na_sentinel=False)
    strs = ["" if u is None or (isinstance(u, float) and np.isnan(u)) else str(u) for u in uniq]
    codes_u, problems = codebook_of(definition).codecs[item_id].parse_many(strs)
    table = codes_u.astype(np.int32)
    for k in problems:
        table[k] = _BAD
    codes = table[np.asarray(inv, dtype=np.intp)]
    return codes, codes == _BAD, problems


def _strings(s: pd.Series) -> pd.Series:
    """Cells as stripped strings (whatever the reader gave: str, categorical or object)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = pd.Series(s.cat.categories.astype("str")).str.strip().to_numpy(dtype=object)
        codes = s.cat.codes.to_numpy()
        out = np.where(codes < 0, "", cats[np.maximum(codes, 0)] if len(cats) else "")
        return pd.Series(out, index=s.index, dtype="str")
    return s.astype("str").fillna("").str.strip()


@dataclass
class _Flag:
    rows: np.ndarray  # the first MAX_LISTED flagged data rows
    count: int
    column: str | None
    describe: Callable[[int], str]


@dataclass
class Findings:
    """What the checks found: the flagged rows (for --partial) and how to word each problem."""

    n_rows: int
    bad: np.ndarray
    header: list[str] = field(default_factory=list)
    flags: list[_Flag] = field(default_factory=list)
    file_level: list[str] = field(default_factory=list)
    #: Rows whose cells are not where the header says (ragged): one problem each, not one per shifted cell.
    skip: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.file_level) + sum(f.count for f in self.flags)

    def __bool__(self) -> bool:
        return self.count > 0

    def flag(self, mask: np.ndarray, column: str | None, describe: Callable[[int], str]) -> None:
        if self.skip is not None:
            mask = mask & ~self.skip
        idx = np.flatnonzero(mask)
        if idx.size:
            self.bad[idx] = True
            self.flags.append(_Flag(idx[:MAX_LISTED], int(idx.size), column, describe))

    def messages(self, table: Table, limit: int = MAX_LISTED) -> list[str]:
        """``FILE:LINE: column C: message`` lines, sorted by line then column, at most ``limit`` plus a count."""
        name = table.name
        out = [f"{name}:1: {m}" for m in self.file_level]
        if self.flags:
            lines = table.lines()
            pos = {c: k for k, c in enumerate(self.header)}
            which = np.concatenate([np.full(f.rows.size, k) for k, f in enumerate(self.flags)])
            rows = np.concatenate([f.rows for f in self.flags])
            cols = np.array([pos.get(self.flags[k].column or "", -1) for k in which])
            order = np.lexsort((which, cols, lines[rows]))[: max(limit - len(out), 0)]
            for k in order:
                f, r = self.flags[int(which[k])], int(rows[k])
                where = f"column {f.column}: " if f.column else ""
                out.append(f"{name}:{int(lines[r])}: {where}{f.describe(r)}")
        total = self.count
        if total > len(out):
            out.append(f"{name}: ... and {total - len(out)} more problem(s); the first {len(out)} are listed")
        return out


class Checker:
    """Runs the checks over one table. ``all()`` is the full pass; ``extra()`` only what
    `ResponseData.from_frame` does not check itself (so a clean big file is not validated twice)."""

    def __init__(self, definition: SurveyDefinition, table: Table, tz: str, n_respondents: int | None = None):
        self.d = definition
        self.t = table
        self.df = table.frame
        self.tz = tz
        self.n = len(self.df)
        self.n_respondents = n_respondents
        self.found = Findings(self.n, np.zeros(self.n, dtype=bool), list(self.df.columns))
        self._group: np.ndarray | None = None
        self._first: np.ndarray | None = None
        self._keys: pd.Series | None = None
        self._str: dict[str, pd.Series] = {}
        self._factors: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._answers: dict[str, tuple[np.ndarray, np.ndarray, dict[int, str]]] | None = None
        self._hidden: tuple[dict[str, np.ndarray], dict[str, str]] | None = None

    # ---------------------------------------------------------------- helpers
    def col(self, name: str) -> pd.Series:
        if name not in self._str:
            self._str[name] = _strings(self.df[name])
        return self._str[name]

    def factor(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(index of each row's value in ``uniq``, stripped distinct values): checks look each value up once."""
        if name not in self._factors:
            s = self.df[name]
            if isinstance(s.dtype, pd.CategoricalDtype):
                inv = s.cat.codes.to_numpy().astype(np.intp)
                uniq = [str(c).strip() for c in s.cat.categories]
                if (inv < 0).any():
                    inv = np.where(inv < 0, len(uniq), inv)
                    uniq.append("")
            else:
                codes, u = pd.factorize(self.col(name))
                inv, uniq = np.asarray(codes, dtype=np.intp), [str(x) for x in u]
            self._factors[name] = (inv, uniq)
        return self._factors[name]

    def flag_values(self, name: str, bad: Callable[[str], bool], describe: Callable[[str], str]) -> None:
        """Flag the rows of ``name`` whose (stripped) value ``bad`` refuses; each distinct value judged once."""
        inv, uniq = self.factor(name)
        bad_u = np.array([bad(u) for u in uniq], dtype=bool)
        if bad_u.any():
            self.found.flag(bad_u[inv], name, lambda r: describe(uniq[inv[r]]))

    def canonical(self, name: str) -> np.ndarray:
        """One integer per distinct stripped value, per row (for comparing a respondent's rows)."""
        inv, uniq = self.factor(name)
        ids, _ = pd.factorize(pd.Series(uniq, dtype=object))
        return np.asarray(ids, dtype=np.int64)[inv] if len(uniq) else inv.astype(np.int64)

    def keys(self) -> pd.Series:
        if self._keys is None:
            self._keys = (self.col("respondent") if "respondent" in self.df.columns
                          else pd.Series([""] * self.n, dtype="str"))
        return self._keys

    def group(self) -> tuple[np.ndarray, np.ndarray]:
        """(respondent index of each row, first row of each respondent).

        When each respondent's rows are consecutive (as every export writes them) and the parser's respondent
        count confirms it, the groups are the runs of equal keys: no hashing of 10^6 keys.
        """
        if self._group is None or self._first is None:
            k = self.keys()
            new = np.ones(self.n, dtype=bool)
            if self.n > 1:
                new[1:] = (k.iloc[1:].reset_index(drop=True) != k.iloc[:-1].reset_index(drop=True)).to_numpy(
                    dtype=bool)
            if self.n_respondents is not None and int(new.sum()) == self.n_respondents:
                self._group = np.cumsum(new) - 1
                self._first = np.flatnonzero(new)
            else:
                g, _ = pd.factorize(k)
                self._group = np.asarray(g, dtype=np.intp)
                first = np.full(int(self._group.max(initial=-1)) + 1, -1, dtype=np.intp)
                rev = np.arange(self.n)[::-1]
                first[self._group[rev]] = rev
                self._first = first
        return self._group, self._first

    def line(self, row: int) -> int:
        return int(self.t.lines()[row])

    def disagree(self, column: str, values: np.ndarray, shown: Callable[[int], str]) -> None:
        """Flag rows whose respondent-level ``values`` differ from the respondent's first row."""
        if len(pd.unique(values)) <= 1:
            return
        group, first = self.group()
        first_row = first[group]
        mask = values != values[first_row]
        if not mask.any():
            return
        keys = self.keys()
        mask &= (keys != "").to_numpy(dtype=bool)
        if self.found.skip is not None:  # a ragged first row is reported once, not against every sibling
            mask &= ~self.found.skip[first_row]
        self.found.flag(mask, column, lambda r: (
            f"respondent {_short(keys.iloc[r])!r} has {shown(r)} here but {shown(int(first_row[r]))} on line "
            f"{self.line(int(first_row[r]))} (respondent-level answers must agree)"))

    # ---------------------------------------------------------------- the checks
    def columns(self) -> bool:
        """Header problems; False when there is no respondent column (nothing else can be checked)."""
        cols = list(self.df.columns)
        if "respondent" not in cols:
            self.found.file_level.append("the file has no 'respondent' column (see README: the response table)")
            self.found.bad[:] = True
            return False
        known = {*META_COLUMNS, WEIGHT_COLUMN, *(it.id for it in self.d.items)}
        unknown = [c for c in cols if c not in known]
        if unknown:
            self.found.file_level.append(f"unknown column(s) {', '.join(map(repr, unknown))}: not an item of "
                                         f"{self.d.slug} v{self.d.version} nor a metadata column")
        missing = [c for c in self.d.respondent_item_ids + self.d.brand_item_ids if c not in cols]
        if missing:
            self.found.file_level.append(f"missing item column(s) {', '.join(map(repr, missing))}")
        if unknown or missing:
            self.found.bad[:] = True
        return True

    def ragged(self) -> None:
        for r, msg in self.t.row_problems:
            self.found.flag(np.arange(self.n) == r, None, lambda _r, m=msg: m)
        if self.t.row_problems:
            self.found.skip = np.zeros(self.n, dtype=bool)
            self.found.skip[[r for r, _ in self.t.row_problems]] = True

    def respondent(self) -> None:
        k = self.keys()
        self.found.flag((k == "").to_numpy(), "respondent", lambda r: "empty respondent key")
        self.found.flag((k.str.len() > MAX_KEY).to_numpy(), "respondent",
                        lambda r: f"the respondent key is longer than {MAX_KEY} characters")
        self._control("respondent")

    def _control(self, column: str) -> None:
        """Control characters (the rule of `codebook.clean_text`), worded by clean_text."""

        def why(v: str) -> str:
            try:
                clean_text(v)
            except ValueError as e:
                return str(e)
            return "contains a control character"  # pragma: no cover - the pattern is clean_text's

        if isinstance(self.df[column].dtype, pd.CategoricalDtype):
            self.flag_values(column, lambda v: CONTROL_CHARACTERS.search(v) is not None, why)
            return
        s = self.col(column)  # one distinct value per row: vectorised search with clean_text's own pattern
        hit = s.str.contains(CONTROL_CHARACTERS.pattern, regex=True).to_numpy(dtype=bool)
        self.found.flag(hit, column, lambda r: why(s.iloc[r]))

    def brand(self) -> None:
        if "brand" not in self.df.columns:
            return
        book = codebook_of(self.d)
        self.flag_values("brand", lambda v: _refusal(book.brand_index, v) is not None,
                         lambda v: f"unknown brand {_short(v)!r}; brands are {self.d.brand_ids}")

    def duplicates(self) -> None:
        book = codebook_of(self.d)
        own = self.d.brand_ids.index(self.d.own_brand.id)
        if "brand" in self.df.columns:
            inv, uniq = self.factor("brand")
            bidx = np.array([-1 if _refusal(book.brand_index, v) else book.brand_index(v) for v in uniq],
                            dtype=np.int64)[inv]
        else:
            bidx = np.full(self.n, own, dtype=np.int64)
        group, _ = self.group()
        key = group.astype(np.int64) * (len(self.d.brands) + 1) + bidx
        valid = (bidx >= 0) & (self.keys() != "").to_numpy()
        key = np.where(valid, key, -1 - np.arange(self.n))
        inv, _ = pd.factorize(key)
        first = np.full(int(inv.max(initial=-1)) + 1, -1, dtype=np.intp)
        rev = np.arange(self.n)[::-1]
        first[inv[rev]] = rev
        dup = first[inv] != np.arange(self.n)
        keys, ids = self.keys(), self.d.brand_ids
        self.found.flag(dup, "brand", lambda r: (
            f"respondent {_short(keys.iloc[r])!r} rated brand {ids[bidx[r]]!r} twice (also on line "
            f"{self.line(int(first[inv[r]]))})"))

    def wave(self) -> None:
        if "wave" not in self.df.columns:
            return
        if self.d.waves:
            book = codebook_of(self.d)
            self.flag_values("wave", lambda v: _refusal(book.wave_id, v) is not None,
                             lambda v: f"unknown wave {_short(v)!r}; waves are {self.d.wave_ids()}")

    def wave_extra(self) -> None:
        if "wave" not in self.df.columns:
            return
        inv, uniq = self.factor("wave")
        if not self.d.waves:
            self.flag_values("wave", lambda v: len(v) > MAX_WAVE,
                             lambda v: f"a wave id is at most {MAX_WAVE} characters")
            self._control("wave")
        self.disagree("wave", self.canonical("wave"), lambda r: f"wave {_short(uniq[inv[r]])!r}")

    def channel(self) -> None:
        if "channel" not in self.df.columns:
            return
        self.flag_values("channel", lambda v: v not in CHANNELS | {""},
                         lambda v: f"unknown channel {_short(v)!r}; channels are {sorted(CHANNELS)}")

    def weight(self) -> None:
        if WEIGHT_COLUMN not in self.df.columns:
            return
        s = self.col(WEIGHT_COLUMN)
        wv = pd.to_numeric(s.where(s != ""), errors="coerce").to_numpy(dtype=np.float64)
        self.found.flag(~np.isfinite(wv) | (wv < 0), WEIGHT_COLUMN,
                        lambda r: f"{_short(s.iloc[r])!r} is not a non-negative number (a survey weight)")

    def weight_extra(self) -> None:
        if WEIGHT_COLUMN in self.df.columns:
            s = self.col(WEIGHT_COLUMN)
            wv = pd.to_numeric(s.where(s != ""), errors="coerce").to_numpy(dtype=np.float64)
            self.disagree(WEIGHT_COLUMN, np.where(np.isnan(wv), -1.0, wv), lambda r: f"weight {_short(s.iloc[r])!r}")

    def times(self) -> None:
        for name in ("started_at", "submitted_at"):
            if name in self.df.columns:
                s = self.col(name)
                _, bad = parse_times(s, self.tz)
                zone = "" if self.tz == "UTC" else f" (naive times are read in {self.tz})"
                self.found.flag(bad, name, lambda r, s=s, z=zone: (
                    f"not an ISO 8601 time, or a local time a clock change skips or repeats: {_short(s.iloc[r])!r}{z}"))

    def answers(self) -> dict[str, tuple[np.ndarray, np.ndarray, dict[int, str]]]:
        """Every coded item column through the codebook, once: (codes per row, refused mask, reasons)."""
        if self._answers is None:
            d = self.d
            self._answers = {iid: _answer_codes(d, iid, self.df[iid])
                             for iid in d.respondent_item_ids + d.brand_item_ids if iid in self.df.columns}
        return self._answers

    def hidden(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Per conditional item, the rows whose own answers hide it (``show_if``), and the condition of each:
        asked of the codebook (`Codebook.hidden_rows`), with a refused cell read as unanswered."""
        book = codebook_of(self.d)
        if not book.visibility.any:
            return {}, {}
        if self._hidden is not None:
            return self._hidden
        d, answers = self.d, self.answers()

        def matrix(ids: list[str]) -> np.ndarray:
            m = np.full((self.n, len(ids)), MISSING_CODE, dtype=np.int16)
            for j, iid in enumerate(ids):
                if iid in answers:
                    codes, bad, _ = answers[iid]
                    m[:, j] = np.where(bad, MISSING_CODE, codes)
            return m

        hr, hb, ht = book.hidden_rows(matrix(d.respondent_item_ids),
                                      matrix(d.brand_item_ids) if d.brand_item_ids else None)
        out = {iid: hr[:, j] for j, iid in enumerate(d.respondent_item_ids) if hr[:, j].any()}
        out.update({iid: hb[:, j] for j, iid in enumerate(d.brand_item_ids) if hb[:, j].any()})
        out.update({iid: m for iid, m in ht.items() if m.any()})
        self._hidden = out, {iid: book.visibility.condition(iid) or "" for iid in out}
        return self._hidden

    def items(self) -> None:
        d = self.d
        hidden, why_hidden = self.hidden()
        for iid, (codes, bad, why) in self.answers().items():
            inv, uniq = self.factor(iid)
            by_value = {str(uniq[k]).strip(): m for k, m in why.items()} if why else {}
            self.found.flag(bad, iid, lambda r, inv=inv, uniq=uniq, by_value=by_value: by_value.get(
                str(uniq[inv[r]]).strip(), f"{_short(uniq[inv[r]])!r} is not a valid answer"))
            hid = hidden.get(iid)
            if hid is not None:
                self.found.flag(hid & ~bad & (codes != MISSING_CODE), iid,
                                lambda r, c=why_hidden[iid]: f"not asked: shown only if {c}; leave it empty")
            if d.item(iid).required:
                missing = codes == MISSING_CODE
                self.found.flag(missing if hid is None else missing & ~hid, iid, lambda r: "this item is required")
            if iid in d.respondent_item_ids:
                self.disagree(iid, np.where(bad, _BAD, codes),
                              lambda r, inv=inv, uniq=uniq: f"answer {_short(uniq[inv[r]])!r}")

    def texts(self) -> None:
        d = self.d
        for tid in d.text_item_ids:
            if tid not in self.df.columns:
                if d.item(tid).required:
                    self.found.file_level.append(f"missing column {tid!r} (a required text item)")
                    self.found.bad[:] = True
                continue
            inv, uniq = self.factor(tid)
            self._control(tid)
            self.flag_values(tid, lambda v: len(v) > MAX_TEXT,
                             lambda v: f"the text is longer than {MAX_TEXT} characters")
            cond = codebook_of(d).visibility.condition(tid)  # only a conditional text item costs the evaluation
            hid = self.hidden()[0].get(tid) if cond is not None else None
            if hid is not None:
                self.found.flag(hid & (self.col(tid) != "").to_numpy(dtype=bool), tid,
                                lambda r, c=cond: f"not asked: shown only if {c}; leave it empty")
            if d.item(tid).required and hid is None:
                self.flag_values(tid, lambda v: v == "", lambda v: "this item is required")
            elif d.item(tid).required:
                self.found.flag((self.col(tid) == "").to_numpy(dtype=bool) & ~hid, tid,
                                lambda r: "this item is required")
            if not d.is_per_brand(tid):
                self.disagree(tid, self.canonical(tid),
                              lambda r, inv=inv, uniq=uniq: f"the text {_short(uniq[inv[r]])!r}")

    # ---------------------------------------------------------------- passes
    def all(self) -> Findings:
        if self.columns():
            self.ragged()
            self.respondent()
            self.brand()
            self.duplicates()
            self.wave()
            self.wave_extra()
            self.channel()
            self.weight()
            self.weight_extra()
            self.times()
            self.items()
            self.texts()
        return self.found

    def extra(self) -> Findings:
        """The checks `ResponseData.from_frame` leaves out (it already refused the rest)."""
        if self.columns():
            self.ragged()
            if not self.found:
                self.found.flag((self.keys().str.len() > MAX_KEY).to_numpy(), "respondent",
                                lambda r: f"the respondent key is longer than {MAX_KEY} characters")
                self._control("respondent")
                self.wave_extra()
                self.channel()
                self.weight_extra()
                self.texts()
        return self.found


def _short(v: str, n: int = 40) -> str:
    return v if len(v) <= n else v[:n] + "…"


