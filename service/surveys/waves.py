"""The live wave calendar: which waves a survey has, their dates, and which one is open now.

Why a calendar outside the definition: wave dates do not change what answers mean, so moving a closing date or
adding next quarter's wave must not need a new definition version. The ``survey_wave`` table holds the calendar;
every publish merges the definition's waves into it (`seed`).

Which waves exist (the one answer, used by the codebook, analytics, reports and exports alike): the definition's
waves in their order, each overlaid by its stored row (dates and labels), then waves that exist only in the
calendar (added with ``csi waves --add`` or the staff API), in the order they were added. `load_ref` hands this
*effective definition* to everything downstream, so an added wave is known to the codebook (answers may name it),
to analytics and to exports without any of them knowing about the calendar. Which wave is open at a time is
`survey_defs.waves.default_wave` over that list (`default_wave` here).

Merging a new version's waves (`seed`): a wave not yet in the calendar is added with the YAML's label and dates;
a wave already in it keeps its stored label and dates, except that the YAML's dates fill a wave that has no
stored date at all. So dates changed with ``csi waves --set`` survive republishing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from service.errors import AppError, Invalid, NotFound
from service.store.tables import Survey, SurveyWave
from survey_defs.codebook import definition_from_json
from survey_defs.schema import LocalText, SurveyDefinition, Wave
from survey_defs.waves import any_dated, span, wave_problems
from survey_defs.waves import default_wave as _default_wave

WAVE_ID_MAX = 64


class WaveClosed(AppError):
    """Waves are declared with dates, but none is open at the submission time."""

    status_code = 409


@dataclass(frozen=True)
class WaveInfo:
    """One wave of the calendar as staff see it; ``state`` is open, closed, upcoming or undated (at ``now``)."""

    id: str
    label: LocalText
    opens: str | None
    closes: str | None
    state: str
    in_definition: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "opens": self.opens, "closes": self.closes, "state": self.state,
                "in_definition": self.in_definition}


def _iso(v: object) -> str | None:
    return None if v is None else v.isoformat()  # type: ignore[attr-defined]


def _row_wave(r: SurveyWave) -> Wave:
    return Wave.model_validate({"id": r.wave_id, "label": json.loads(r.label_json), "opens": r.opens,
                                "closes": r.closes})


def rows(s: Session, survey_id: int) -> list[SurveyWave]:
    q = select(SurveyWave).where(SurveyWave.survey_id == survey_id).order_by(col(SurveyWave.position),
                                                                           col(SurveyWave.id))
    return list(s.exec(q).all())


def effective_waves(d: SurveyDefinition, stored: list[SurveyWave]) -> list[Wave]:
    """The definition's waves overlaid by the calendar, then the calendar's own waves (module docstring)."""
    by_id = {r.wave_id: r for r in stored}
    out = [_row_wave(by_id[w.id]) if w.id in by_id else w for w in d.waves]
    known = {w.id for w in d.waves}
    out.extend(_row_wave(r) for r in stored if r.wave_id not in known)
    return out


def effective_definition_json(definition_json: str, stored: list[SurveyWave]) -> str:
    """The version's definition with its wave list replaced by the effective one (unchanged without a calendar)."""
    if not stored:
        return definition_json
    d = definition_from_json(definition_json)
    data = json.loads(definition_json)
    data["waves"] = [w.model_dump(mode="json") for w in effective_waves(d, stored)]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def seed(s: Session, survey_id: int, d: SurveyDefinition) -> None:
    """Merge a published definition's waves into the calendar (rules in the module docstring). No commit."""
    stored = {r.wave_id: r for r in rows(s, survey_id)}
    pos = max((r.position for r in stored.values()), default=-1)
    now = time.time()
    for w in d.waves:
        r = stored.get(w.id)
        if r is None:
            pos += 1
            s.add(SurveyWave(survey_id=survey_id, wave_id=w.id, label_json=json.dumps(w.label, ensure_ascii=False),
                             opens=_iso(w.opens), closes=_iso(w.closes), position=pos, updated_at=now))
        elif r.opens is None and r.closes is None and (w.opens is not None or w.closes is not None):
            r.opens, r.closes, r.updated_at = _iso(w.opens), _iso(w.closes), now
            s.add(r)


# ------------------------------------------------------------------ the questions everyone asks
def wave_ids(d: SurveyDefinition) -> list[str]:
    """Every wave of a survey, given its effective definition (`SurveyRef.definition`)."""
    return [w.id for w in d.waves]


def default_wave(d: SurveyDefinition, t: float) -> str | None:
    """The wave a submission at epoch ``t`` without an explicit wave goes to; None: no waves, or none open.

    With dated waves this is the wave open at ``t``; without any dates it is the last wave (the compatibility
    rule of `survey_defs.waves.default_wave`).
    """
    return _default_wave(d.waves, d.tz, t)


def wave_for(d: SurveyDefinition, t: float) -> str | None:
    """Like `default_wave`, but raises `WaveClosed` (409) when waves are declared and none is open at ``t``."""
    w = default_wave(d, t)
    if w is None and d.waves:
        raise WaveClosed("no wave of this survey is open at the submission time; the survey is not collecting "
                         "answers now (staff: `csi waves SLUG`)", loc=["body", "wave"])
    return w


def is_open_now(d: SurveyDefinition, t: float | None = None) -> bool:
    """Whether a web respondent could answer at ``t`` (no waves, undated waves, or one open)."""
    return not d.waves or default_wave(d, time.time() if t is None else t) is not None


def state_of(w: Wave, tz: str, t: float) -> str:
    sp = span(w, tz)
    if not sp.dated:
        return "undated"
    if sp.contains(t):
        return "open"
    return "upcoming" if t < sp.start else "closed"


# ------------------------------------------------------------------ staff: list and change
def _survey(s: Session, slug: str) -> Survey:
    sv = s.exec(select(Survey).where(Survey.slug == slug)).first()
    if sv is None or sv.id is None:
        raise NotFound(f"unknown survey {slug!r}", loc=["path", "slug"])
    return sv


def list_waves(engine: Engine, slug: str, now: float | None = None) -> list[WaveInfo]:
    from service.surveys.service import load_ref

    ref = load_ref(engine, slug)
    version_waves = {w.id for w in definition_from_json(ref.version_json).waves}
    d = ref.definition
    t = time.time() if now is None else now
    return [WaveInfo(w.id, w.label, _iso(w.opens), _iso(w.closes), state_of(w, d.tz, t), w.id in version_waves)
            for w in d.waves]


_UNSET: Any = object()


def set_wave(engine: Engine, slug: str, wave_id: str, *, opens: str | None = _UNSET, closes: str | None = _UNSET,
             label: LocalText | None = None, add: bool = False) -> WaveInfo:
    """Change one wave's dates or label, or (``add``) add a new wave; the whole calendar is re-checked first.

    ``opens``/``closes``: an ISO date or datetime, None to clear, left out to keep. Refusals are 422 naming the
    field (a bad date, closes before opens, an overlap), 404 for an unknown wave, 409 for adding one that exists.
    """
    from service.surveys.service import load_ref

    ref = load_ref(engine, slug)
    d = ref.definition
    wid = wave_id.strip()
    if not wid or len(wid) > WAVE_ID_MAX or any(c.isspace() for c in wid):
        raise AppError(f"a wave id is 1-{WAVE_ID_MAX} characters without spaces", status_code=422,
                       loc=["path", "wave_id"])
    current = {w.id: w for w in d.waves}
    if add and wid in current:
        raise AppError(f"wave {wid!r} exists already; change it without --add", status_code=409,
                       loc=["path", "wave_id"])
    if not add and wid not in current:
        raise NotFound(f"unknown wave {wid!r}; waves are {list(current)} (add one with --add)",
                       loc=["path", "wave_id"])
    if add and not label:
        raise AppError("a new wave needs a label", status_code=422, loc=["body", "label"])
    base = current.get(wid)
    data: dict[str, Any] = {"id": wid, "label": label or (base.label if base else {}),
                            "opens": _iso(base.opens) if base else None, "closes": _iso(base.closes) if base else None}
    for key, value in (("opens", opens), ("closes", closes)):
        if value is not _UNSET:
            data[key] = value.strip() if isinstance(value, str) and value.strip() else None
    try:
        new = Wave.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "body"
        raise Invalid([(["body", field], f"{field}: {err['msg']} (got {data.get(field)!r})")]) from None
    missing = [lang for lang in d.languages if not (new.label.get(lang) or "").strip()]
    if missing:
        raise Invalid([(["body", "label"], f"the label needs a text in {', '.join(missing)}")])
    waves = [new if w.id == wid else w for w in d.waves] + ([new] if add else [])
    problems = [p for p in wave_problems(waves, d.tz) if waves[p[0]].id == wid or p[2].find(f"'{wid}'") >= 0]
    if problems:
        raise Invalid([(["body", key], msg) for _, key, msg in problems])
    with Session(engine) as s:
        sv = _survey(s, slug)
        assert sv.id is not None
        stored = {r.wave_id: r for r in rows(s, sv.id)}
        r = stored.get(wid)
        if r is None:
            pos = max((x.position for x in stored.values()), default=-1) + 1
            r = SurveyWave(survey_id=sv.id, wave_id=wid, label_json="{}", position=pos, updated_at=0.0)
        r.label_json = json.dumps(new.label, ensure_ascii=False)
        r.opens, r.closes, r.updated_at = _iso(new.opens), _iso(new.closes), time.time()
        s.add(r)
        s.commit()
    return next(w for w in list_waves(engine, slug) if w.id == wid)


def calendar_summary(d: SurveyDefinition, now: float | None = None) -> str:
    """One line for the CLI: the wave open now, or why none is."""
    t = time.time() if now is None else now
    if not d.waves:
        return "no waves"
    if not any_dated(d.waves):
        return f"no dates: answers without a wave go to the last wave, {d.waves[-1].id}"
    w = default_wave(d, t)
    return f"open now: {w}" if w else "no wave is open now: web answers are refused (409)"


__all__ = ["WaveClosed", "WaveInfo", "default_wave", "effective_definition_json", "list_waves", "seed", "set_wave",
           "wave_for", "wave_ids"]
