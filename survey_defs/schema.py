"""The survey-definition format: pydantic models for the human-edited YAML files.

The models hold structure only; cross-reference checks (unknown items, weights that do not sum to 1, AHP
consistency, cycles, missing labels) live in `survey_defs.validate`, which reports every problem with its
line.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

LocalText = dict[str, str]
"""Text per language code, e.g. ``{"zh": "满意", "en": "Satisfied"}``."""

ItemType = Literal["likert", "nps", "yes_no", "choice", "text"]
Scoring = Literal["percent_of_max", "linear"]
DeriveMethod = Literal["entropy", "critic", "regression"]
Scheme = Literal["path", "centroid", "factorial"]

#: Codes stored for answers that are not numbers on a scale.
MISSING_CODE = -1
NA_CODE = -2
#: "Not asked": the item was hidden by the respondent's own answers (``show_if``; survey_defs.conditions). A
#: structural gap, neither a non-response (-1) nor "not applicable" (-2).
HIDDEN_CODE = -3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Model):
    """A response scale: ``points`` consecutive integers from ``min``, one label per point and language.

    ``scoring`` converts a raw answer x to 0-100: ``percent_of_max`` is x/max*100 (the Chinese 100/80/60/40/20
    practice on a 1-5 scale), ``linear`` is (x-min)/(max-min)*100 (the ACSI practice on 1-10 scales).
    ``top_box`` is how many of the highest points count as "satisfied" for the satisfaction rate.
    """

    points: int = Field(ge=2, le=11)
    min: int = 1
    labels: dict[str, list[str]]
    scoring: Scoring = "percent_of_max"
    top_box: int | None = None
    na_label: LocalText | None = None

    @property
    def max(self) -> int:
        return self.min + self.points - 1

    @property
    def values(self) -> list[int]:
        return list(range(self.min, self.max + 1))

    @property
    def top_box_count(self) -> int:
        """Top-2 of 5 and 7 points, top-3 of 10 or 11 (docs/methods.md section 2), unless the definition says."""
        if self.top_box is not None:
            return self.top_box
        return 2 if self.points <= 7 else 3

    def score(self, x: float) -> float:
        """Raw answer to 0-100 under this scale's convention."""
        if self.scoring == "percent_of_max":
            return x / self.max * 100.0
        return (x - self.min) / (self.max - self.min) * 100.0


class Option(_Model):
    """One choice of a single-choice question; ``code`` is what is stored and exported."""

    code: str
    label: LocalText


class Item(_Model):
    """One question. Likert and NPS items name a scale; choice items list options; text items are free."""

    id: str
    type: ItemType = "likert"
    text: LocalText
    scale: str | None = None
    reverse: bool = False
    required: bool = True
    allow_na: bool = False
    options: list[Option] | None = None
    segment: bool = False
    #: Asked only when this condition over earlier answers holds (survey_defs.conditions); else not asked.
    show_if: str | None = None


class Section(_Model):
    """A group of items shown together. Items of a ``per_brand`` section are asked once per brand rated."""

    id: str
    title: LocalText
    per_brand: bool = False
    page: int | None = None
    #: The whole section is asked only when this condition over answers of earlier sections holds.
    show_if: str | None = None
    items: list[Item]


class IndicatorNode(_Model):
    """A node of the weighted indicator hierarchy.

    A leaf names an ``item``. A parent has ``children`` and says how its children are weighted: each child
    carries a ``weight`` (given), or the parent gives an ``ahp`` pairwise-comparison matrix (rows and columns
    in child order), or ``derive`` asks for weights computed from data, or ``equal`` splits evenly.
    """

    id: str
    label: LocalText | None = None
    item: str | None = None
    weight: float | None = None
    ahp: list[list[float]] | None = None
    derive: DeriveMethod | None = None
    equal: bool = False
    children: list[IndicatorNode] = Field(default_factory=list)

    @field_validator("ahp", mode="before")
    @classmethod
    def _fractions(cls, v: object) -> object:
        """Let AHP cells be written as fractions, e.g. ``1/3``."""
        if isinstance(v, list):
            return [[_fraction(c) for c in row] if isinstance(row, list) else row for row in v]
        return v

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def weight_source(self) -> str:
        """Where the children's weights come from: given, ahp, entropy, critic, regression or equal."""
        if self.ahp is not None:
            return "ahp"
        if self.derive is not None:
            return self.derive
        if self.equal:
            return "equal"
        return "given"

    def walk(self) -> list[IndicatorNode]:
        """This node and all below it, depth first, parents before children."""
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out

    def leaves(self) -> list[IndicatorNode]:
        return [n for n in self.walk() if n.is_leaf]


def _fraction(c: object) -> object:
    if isinstance(c, str) and "/" in c:
        num, _, den = c.partition("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            return c
    return c


class Brand(_Model):
    """A brand rated in the survey; exactly one is ``own``."""

    id: str
    name: LocalText
    own: bool = False


class Construct(_Model):
    """A latent construct of the ACSI-style model: its items and outer mode (A reflective, B formative)."""

    id: str
    label: LocalText | None = None
    items: list[str]
    mode: Literal["A", "B"] = "A"


class LatentModel(_Model):
    """The ACSI-style PLS path model: constructs, structural paths (source, target), the index construct.

    ``missing`` is how the estimator treats a respondent's missing or N/A indicator: ``"mean"`` replaces it by
    the item's mean (Hair et al., *A Primer on PLS-SEM*, §2.3), ``"casewise"`` drops the respondent from the
    model. The default is ``"mean"``, the treatment every definition published before this field existed was
    analysed with; the choice is reported with the results either way.
    """

    constructs: list[Construct]
    paths: list[tuple[str, str]]
    satisfaction: str
    scheme: Scheme = "path"
    missing: Literal["mean", "casewise"] = "mean"


class Loyalty(_Model):
    """Which items measure satisfaction and loyalty, and the Jones & Sasser zone cut-offs in raw scale points.

    Answers <= ``defection_max`` fall in the defection zone, >= ``loyalty_min`` in the loyalty zone, the rest
    in the indifference zone. ``loyalty_high_min`` splits loyalty for the satisfaction-by-loyalty quadrants.
    """

    satisfaction_item: str
    loyalty_item: str | None = None
    nps_item: str | None = None
    defection_max: int
    loyalty_min: int
    loyalty_high_min: int | None = None


def _wave_time(v: object) -> object:
    """``2026-07-01`` is a whole day (a date), not midnight: pydantic alone would read it as a datetime."""
    if isinstance(v, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", v):
        return date.fromisoformat(v.strip())
    return v


#: A wave bound: a date (a whole day) or a datetime; naive ones are read in the definition's time zone (`tz`).
WaveTime = Annotated[datetime | date, BeforeValidator(_wave_time)]


class Wave(_Model):
    """A fieldwork wave or period, in chronological order within the definition.

    ``opens`` and ``closes`` (optional) bound the time in which a submission without an explicit wave goes to this
    wave: from the start of ``opens`` to the end of ``closes`` (a date closes at the end of that day, a datetime
    at that instant), both in the definition's time zone when naive. The rules live in `survey_defs.waves`; the
    dates a running survey uses are its stored wave calendar (service/surveys/waves.py), seeded from these.
    """

    id: str
    label: LocalText
    opens: WaveTime | None = None
    closes: WaveTime | None = None


class BrandOptions(_Model):
    """How the brand picker speaks and whether the sponsoring brand may be left out.

    A top-level block, not keys inside ``brands``: ``brands`` is a list in every definition published so far, and
    errors are located by its element paths (``brands[2].name``); turning it into an object would break every
    definition and every stored version. So the issue's ``brands.own_required`` is spelled
    ``brand_options.own_required``. ``question`` is the picker's question, ``own_badge`` the badge next to our
    own brand; both default to the built-in wording ("企业/本企业"). With ``own_required`` (the default) our own
    brand is always rated: the picker shows it checked and a submission without it is refused.
    """

    own_required: bool = True
    question: LocalText | None = None
    own_badge: LocalText | None = None


#: The five answers of a Kano question (Kano et al. 1984), in the order of the Kano evaluation table. A Kano
#: question is a ``choice`` item whose option codes are exactly these (any order; labels per language).
KANO_ANSWERS = ("like", "must-be", "neutral", "live-with", "dislike")

#: A raking margin may give a share to respondents who did not answer the variable under this code.
MISSING_MARGIN = "(missing)"


class ServqualDimension(_Model):
    """One SERVQUAL dimension (reliability, assurance, tangibles, empathy, responsiveness; Parasuraman, Zeithaml
    & Berry 1988): its label and its statements, each an ``[expectation item, perception item]`` pair."""

    id: str
    label: LocalText
    pairs: list[tuple[str, str]]


class Servqual(_Model):
    """SERVQUAL gap analysis: gap = perception - expectation per statement, per dimension and overall. Every
    item is a likert item and all of them share one scale, so the gaps are in that scale's points."""

    dimensions: list[ServqualDimension]


class KanoFeature(_Model):
    """One Kano feature: its label and its functional ("if it has X") and dysfunctional ("if it lacks X")
    questions, both ``choice`` items answered on the `KANO_ANSWERS` options."""

    id: str
    label: LocalText
    functional: str
    dysfunctional: str


class Kano(_Model):
    """Kano classification of features (Kano et al. 1984; docs/methods.md section 7)."""

    features: list[KanoFeature]


class Trim(_Model):
    """Bounds on the raked weights relative to their mean (1): each weight is kept within [min, max]."""

    min: float | None = None
    max: float | None = None


class Weighting(_Model):
    """Survey weights: rake (iterative proportional fitting; Deming & Stephan 1940) the analysed respondents to
    population margins ``{segment item: {option code: population share}}``; shares of each item sum to 1.
    ``trim`` bounds the weights relative to their mean; ``max_iter`` and ``tol`` control convergence (largest
    absolute difference between a weighted and a target share)."""

    method: Literal["raking"] = "raking"
    margins: dict[str, dict[str, float]]
    trim: Trim | None = None
    max_iter: int = Field(default=100, ge=1, le=10_000)
    tol: float = Field(default=1e-6, gt=0, le=0.01)


#: The variables an invitation template may use (service/mail/compose.py fills them).
INVITATION_VARIABLES = ("name", "link", "unsubscribe_link", "organisation", "survey_title", "expires")


class InvitationText(_Model):
    """The invitation mail and SMS, per language: Jinja2 templates rendered in a sandbox over
    `INVITATION_VARIABLES` (the HTML part autoescaped). ``body`` is plain text; blank lines separate paragraphs.
    The personal link and the unsubscribe link are always added below the body, so the body need not name them.
    """

    subject: LocalText
    body: LocalText
    sms: LocalText | None = None


class SurveyDefinition(_Model):
    """A whole survey definition, as published. Immutable; a changed definition is a new version."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    slug: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    version: int = Field(default=1, ge=1)
    languages: list[str] = Field(default_factory=lambda: ["zh", "en"])
    default_language: str = "zh"
    #: IANA time zone in which naive times (imported interview times, wave dates) are read. None: Asia/Shanghai
    #: when the default language is zh, UTC otherwise (see `tz`).
    timezone: str | None = None
    title: LocalText
    intro: LocalText | None = None
    organisation: LocalText | None = None
    waves: list[Wave] = Field(default_factory=list)
    require_token: bool = False
    scales: dict[str, Scale]
    sections: list[Section]
    brands: list[Brand]
    indicators: IndicatorNode | None = None
    model: LatentModel | None = None
    loyalty: Loyalty | None = None
    servqual: Servqual | None = None
    kano: Kano | None = None
    weighting: Weighting | None = None
    invitation: InvitationText | None = None
    brand_options: BrandOptions = Field(default_factory=BrandOptions)
    #: Per-segment completion targets per wave: ``{segment choice item: {option code: target}}``. When a cell
    #: is full, new respondents in it are screened out (service/quotas).
    quotas: dict[str, dict[str, Annotated[int, Field(ge=0)]]] | None = None

    # ---- derived views (cached; the model is frozen) ----
    @cached_property
    def items(self) -> list[Item]:
        return [it for s in self.sections for it in s.items]

    @cached_property
    def item_map(self) -> dict[str, Item]:
        return {it.id: it for it in self.items}

    @cached_property
    def section_of(self) -> dict[str, Section]:
        return {it.id: s for s in self.sections for it in s.items}

    def item(self, item_id: str) -> Item:
        return self.item_map[item_id]

    def is_per_brand(self, item_id: str) -> bool:
        return self.section_of[item_id].per_brand

    @cached_property
    def respondent_item_ids(self) -> list[str]:
        """Coded (non-text) items asked once per respondent, in definition order: the stored column order."""
        return [it.id for s in self.sections if not s.per_brand for it in s.items if it.type != "text"]

    @cached_property
    def brand_item_ids(self) -> list[str]:
        """Coded items asked once per brand, in definition order: the stored column order."""
        return [it.id for s in self.sections if s.per_brand for it in s.items if it.type != "text"]

    @cached_property
    def text_item_ids(self) -> list[str]:
        return [it.id for it in self.items if it.type == "text"]

    @cached_property
    def segment_item_ids(self) -> list[str]:
        return [it.id for it in self.items if it.type == "choice" and it.segment]

    @cached_property
    def brand_ids(self) -> list[str]:
        return [b.id for b in self.brands]

    @property
    def own_brand(self) -> Brand:
        return next(b for b in self.brands if b.own)

    def scale_of(self, item_id: str) -> Scale:
        """The scale of a likert/nps item; yes/no items use an implicit 0/1 scale."""
        it = self.item_map[item_id]
        if it.scale is None:
            raise KeyError(f"item {item_id!r} has no scale")
        return self.scales[it.scale]

    def text(self, t: LocalText | None, lang: str | None = None) -> str:
        """Pick a language from a LocalText, falling back to the default language."""
        if not t:
            return ""
        return t.get(lang or self.default_language) or t.get(self.default_language) or next(iter(t.values()))

    @property
    def tz(self) -> str:
        """The time zone naive times are read in: ``timezone``, or the default for the definition's language."""
        if self.timezone:
            return self.timezone
        return "Asia/Shanghai" if self.default_language == "zh" else "UTC"

    def wave_ids(self) -> list[str]:
        return [w.id for w in self.waves]
