"""Rows of the canonical response table (docs/DESIGN.md), typed, before any file format gets them.

Each response is decoded with the codebook of the version it answered, so old responses keep their meaning;
every writer (CSV, XLSX, SPSS/Stata, JSON) formats these rows its own way but none re-reads the store or
re-implements the answer codes. Answers are in code form here (numbers, option codes, ``"NA"``, text);
`answer_label` turns one into its label in a language through the codec, the one home of the labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from service.responses import repository
from service.store.raw import RawConn
from service.surveys.service import SurveyRef, versions
from survey_defs.codebook import META_COLUMNS, WEIGHT_COLUMN, Codebook, ItemCodec, codebook_for_json
from survey_defs.schema import Item, Option, SurveyDefinition

META = list(META_COLUMNS)
WEIGHT = WEIGHT_COLUMN
TIME_COLUMNS = ("started_at", "submitted_at")

#: Short descriptions of the metadata columns (the XLSX second header row, SPSS/Stata variable labels).
META_TEXT: dict[str, dict[str, str]] = {
    "zh": {"respondent": "受访者编号", "brand": "评价的品牌", "wave": "调查期次", "channel": "渠道",
           "started_at": "开始时间", "submitted_at": "提交时间", "weight": "样本权重"},
    "en": {"respondent": "Respondent key", "brand": "Brand rated", "wave": "Wave", "channel": "Channel",
           "started_at": "Started at", "submitted_at": "Submitted at", "weight": "Survey weight"},
}


@dataclass(frozen=True)
class Decoded:
    """One stored response decoded with its version's codebook (answers in code form)."""

    id: int
    version: int
    book: Codebook
    respondent: str
    wave: str | None
    channel: str
    started_at: float | None
    submitted_at: float | None
    answers: dict[str, Any]
    brands: dict[str, dict[str, Any]]
    weight: float | None


@dataclass
class Table:
    """The table of one survey: its columns, what each item column is, and its rows (lazily, from the store).

    ``rows`` yields ``(codebook of the row's version, row)``; a row is ``respondent, brand id, wave id | None,
    channel, started_at, submitted_at`` (epoch seconds or None), the weight when the table has one, then one
    value per item column (None = not answered).
    """

    ref: SurveyRef
    header: list[str]
    items: list[str]
    weighted: bool
    #: Per item column: the newest version's definition of the item and its codec there.
    item_defs: dict[str, Item]
    codecs: dict[str, ItemCodec]
    definitions: dict[str, SurveyDefinition]
    #: Per choice column: options of the newest version first, then codes only older versions had.
    options: dict[str, list[Option]] = field(default_factory=dict)
    rows: Iterator[tuple[Codebook, list[Any]]] = field(default_factory=lambda: iter(()))

    @property
    def definition(self) -> SurveyDefinition:
        return self.ref.definition

    def language(self, labels: str | None) -> str:
        """The language of labels and texts: ``labels``, else the definition's default language."""
        return labels or self.definition.default_language

    def column_text(self, column: str, lang: str) -> str:
        """What a column holds, in ``lang``: an item's text, or a short description of a metadata column."""
        if column in self.item_defs:
            return self.definitions[column].text(self.item_defs[column].text, lang)
        return META_TEXT.get(lang, META_TEXT["en"]).get(column, column)

    def brand_name(self, brand_id: str, lang: str) -> str:
        for b in self.definition.brands:
            if b.id == brand_id:
                return self.definition.text(b.name, lang)
        return brand_id

    def wave_name(self, wave_id: str, lang: str) -> str:
        for w in self.definition.waves:
            if w.id == wave_id:
                return self.definition.text(w.label, lang)
        return wave_id


def _iter_stored(engine: Engine, ref: SurveyRef, chunk: int = 5000) -> Iterator[tuple[Any, ...]]:
    conn = RawConn(engine)
    try:
        cur = conn.execute(repository.select_rows("survey_id = :s"), {"s": ref.id})
        while rows := cur.fetchmany(chunk):
            yield from rows
    finally:
        conn.close()


def _books(engine: Engine, ref: SurveyRef) -> tuple[dict[int, Codebook], dict[int, int]]:
    vers = versions(engine, ref.id)
    return ({vid: codebook_for_json(v.definition_json) for vid, v in vers.items()},
            {vid: v.version for vid, v in vers.items()})


def iter_decoded(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[Decoded]:
    """Every stored response of the survey, in id order, decoded (codes, or labels in ``labels``)."""
    books, numbers = _books(engine, ref)
    for rid, vid, key, wave, channel, started, submitted, ans, bans, texts, weight in _iter_stored(engine, ref):
        book = books[vid]
        answers, brands = book.decode(bytes(ans), bytes(bans), texts, labels)
        yield Decoded(rid, numbers[vid], book, key or str(rid), wave, channel, started, submitted, answers,
                      brands, weight)


def has_weights(engine: Engine, ref: SurveyRef) -> bool:
    """Whether any stored response carries a survey weight (then the table gets a ``weight`` column)."""
    conn = RawConn(engine)
    try:
        return repository.any_weight(conn, "survey_id = :s", {"s": ref.id})
    finally:
        conn.close()


def table(engine: Engine, ref: SurveyRef) -> Table:
    """The survey's table: current version's items first, then items only older versions asked."""
    books, numbers = _books(engine, ref)
    newest_first = sorted(books, key=lambda vid: numbers[vid], reverse=True)
    ordered = [ref.definition] + [books[v].definition for v in newest_first]
    items: list[str] = []
    item_defs: dict[str, Item] = {}
    defs: dict[str, SurveyDefinition] = {}
    codecs: dict[str, ItemCodec] = {}
    options: dict[str, list[Option]] = {}
    for d in ordered:
        for it in d.items:
            if it.id not in item_defs:
                items.append(it.id)
                item_defs[it.id] = it
                defs[it.id] = d
            if it.type == "choice":
                known = {o.code for o in options.get(it.id, [])}
                options.setdefault(it.id, []).extend(o for o in it.options or [] if o.code not in known)
    for vid in reversed(newest_first):  # newer versions overwrite older ones
        codecs.update(books[vid].codecs)
    weighted = has_weights(engine, ref)
    header = META + ([WEIGHT] if weighted else []) + items
    own = ref.definition.own_brand.id

    def rows() -> Iterator[tuple[Codebook, list[Any]]]:
        for rec in iter_decoded(engine, ref):
            base: list[Any] = [rec.respondent, "", rec.wave, rec.channel, rec.started_at, rec.submitted_at]
            if weighted:
                base.append(1.0 if rec.weight is None else rec.weight)
            for b, bans in (rec.brands or {own: {}}).items():
                vals = {**rec.answers, **bans}
                row = list(base)
                row[1] = b
                row.extend(vals.get(c) for c in items)
                yield rec.book, row

    return Table(ref, header, items, weighted, item_defs, codecs, defs, options, rows())


def answer_label(codec: ItemCodec, value: Any, lang: str) -> Any:
    """A coded answer (number, option code) as its label in ``lang``; ``NA`` and unknown values unchanged."""
    if value is None or value == "NA":
        return value
    try:
        return codec.render(codec.parse(value), lang)
    except ValueError:
        return value


def iso(t: float | None) -> str:
    """Epoch seconds as ISO 8601 in UTC (the CSV and JSON form; re-import reads the offset)."""
    return "" if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def local_time(t: float | None, tz: str) -> datetime | None:
    """Epoch seconds as a naive wall-clock time in ``tz`` (spreadsheets and SPSS have no time zones)."""
    return None if t is None else datetime.fromtimestamp(t, ZoneInfo(tz)).replace(tzinfo=None)
