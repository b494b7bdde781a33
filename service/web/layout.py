"""How a definition becomes the sequence of pages ("steps") a respondent walks through.

Sections are grouped by their ``page:`` number (a section without one joins the page before it). A page with
per-brand sections is preceded, once, by a step where the respondent picks the brands they know, and is then
shown once per picked brand (own brand first), so a phone never has to show every brand's ratings at once.
Items an invitation already answers (segment values) are left out, and so are items the respondent's own saved
answers hide (``show_if``, evaluated by the codebook on every page request); a step left empty disappears, so
Next and Previous jump over a page whose items are all hidden and the progress bar counts only pages shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_defs.codebook.visibility import Hidden
from survey_defs.schema import Item, Section, SurveyDefinition

BRANDS_FIELD = "brands"


@dataclass(frozen=True)
class Step:
    """One page: ordinary sections, one brand's per-brand sections, or the brand picker (``sections`` empty)."""

    kind: str  # "items" | "brands"
    sections: tuple[tuple[Section, tuple[Item, ...]], ...] = field(default=())
    brand: str | None = None

    def field_names(self) -> set[str]:
        if self.kind == "brands":
            return {BRANDS_FIELD}
        return {field_name(it.id, self.brand) for _, items in self.sections for it in items}


def field_name(item_id: str, brand: str | None) -> str:
    """The form field (and draft key) of an item: ``a:ITEM`` once per respondent, ``b:BRAND:ITEM`` per brand."""
    return f"a:{item_id}" if brand is None else f"b:{brand}:{item_id}"


def brand_order(definition: SurveyDefinition) -> list[str]:
    """Own brand first, then the others in definition order."""
    return sorted(definition.brand_ids, key=lambda b: b != definition.own_brand.id)


def pages(definition: SurveyDefinition) -> list[list[Section]]:
    groups: dict[int, list[Section]] = {}
    current = 1
    for s in definition.sections:
        if s.page is not None:
            current = s.page
        groups.setdefault(current, []).append(s)
    return [groups[k] for k in sorted(groups)]


def build_steps(definition: SurveyDefinition, chosen: list[str], skip: set[str] | frozenset[str] = frozenset(),
                hidden: Hidden | None = None) -> list[Step]:
    """The steps for a respondent who picked ``chosen`` brands, need not answer the ``skip`` items, and whose
    answers hide the ``hidden`` items (None: show every item)."""
    order = [b for b in brand_order(definition) if b in chosen]
    steps: list[Step] = []
    picker_added = False

    def shown(secs: list[Section], brand: str | None, conditional: bool
              ) -> tuple[tuple[Section, tuple[Item, ...]], ...]:
        out = []
        for s in secs:
            items = tuple(it for it in s.items if it.id not in skip
                          and not (conditional and hidden is not None and hidden.hides(it.id, brand)))
            if items:
                out.append((s, items))
        return tuple(out)

    for secs in pages(definition):
        plain = shown([s for s in secs if not s.per_brand], None, True)
        per = [s for s in secs if s.per_brand]
        if plain:
            steps.append(Step("items", plain))
        if shown(per, None, False) and (hidden is None or hidden.brands_asked):
            if not picker_added:
                steps.append(Step("brands"))
                picker_added = True
            for b in order:
                branded = shown(per, b, True)
                if branded:
                    steps.append(Step("items", branded, brand=b))
    return steps or [Step("items", ())]


def step_of_field(steps: list[Step], name: str) -> int | None:
    """1-based index of the step showing a field, or None."""
    for i, st in enumerate(steps, 1):
        if name in st.field_names():
            return i
    return None
