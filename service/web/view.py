"""Plain-data page contexts (dicts, strings, numbers) for the templates; tests can assert on them directly."""

from __future__ import annotations

from typing import Any

from service.web.i18n import language_choices, ui
from service.web.layout import BRANDS_FIELD, Step, brand_order, field_name
from survey_defs.schema import Item, SurveyDefinition

GRID_ABOVE = 7  # scales with more points (0-10) use a compact grid instead of a vertical list


def html_id(name: str) -> str:
    return "q-" + name.replace(":", "-")


def _options(d: SurveyDefinition, it: Item, lang: str, value: str
             ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    t = ui(lang)
    opts: list[tuple[str, str]] = []
    na: dict[str, Any] | None = None
    if it.type in ("likert", "nps") and it.scale:
        sc = d.scales[it.scale]
        labels = sc.labels.get(lang) or sc.labels.get(d.default_language) or [str(v) for v in sc.values]
        if it.type == "nps" or sc.points > GRID_ABOVE:
            opts = [(str(v), str(v)) for v in sc.values]
        else:
            opts = [(str(v), labels[k]) for k, v in enumerate(sc.values)]
        if it.allow_na:
            na = {"value": "NA", "label": d.text(sc.na_label, lang) or t["na"], "checked": value == "NA"}
    elif it.type == "yes_no":
        opts = [("1", t["yes"]), ("0", t["no"])]
    elif it.type == "choice":
        opts = [(o.code, d.text(o.label, lang)) for o in it.options or []]
    return [{"value": v, "label": lab, "checked": value == v} for v, lab in opts], na


def _anchors(d: SurveyDefinition, it: Item, lang: str) -> tuple[str, str]:
    """The end labels under a 0-10 grid, from the scale ("0 完全不可能" ... "10 非常可能")."""
    if it.scale:
        labels = d.scales[it.scale].labels.get(lang) or []
        if labels:
            return labels[0], labels[-1]
    t = ui(lang)
    return t["nps_low"], t["nps_high"]


def item_view(d: SurveyDefinition, it: Item, brand: str | None, lang: str, values: dict[str, str],
              errors: dict[str, str]) -> dict[str, Any]:
    name = field_name(it.id, brand)
    value = values.get(name, "")
    options, na = _options(d, it, lang, value)
    layout = "text" if it.type == "text" else "grid" if len(options) > GRID_ABOVE else (
        "pair" if it.type == "yes_no" else "list")
    low, high = _anchors(d, it, lang) if layout == "grid" else ("", "")
    return {
        "name": name, "id": html_id(name), "type": it.type, "layout": layout, "text": d.text(it.text, lang),
        "required": it.required, "options": options, "na": na, "value": value, "error": errors.get(name),
        "low": low, "high": high,
    }


def brand_name(d: SurveyDefinition, brand: str, lang: str) -> str:
    return next(d.text(b.name, lang) for b in d.brands if b.id == brand)


def page_context(
    *,
    d: SurveyDefinition,
    slug: str,
    lang: str,
    steps: list[Step],
    index: int,
    values: dict[str, str],
    chosen: list[str],
    errors: dict[str, str],
    general_errors: list[str],
    hidden: dict[str, str],
    resume_url: str | None,
    invited: bool,
) -> dict[str, Any]:
    """Everything the survey page template shows for step ``index`` (1-based)."""
    t = ui(lang)
    step = steps[index - 1]
    sections: list[dict[str, Any]] = [
        {"title": d.text(sec.title, lang),
         "items": [item_view(d, it, step.brand, lang, values, errors) for it in items]}
        for sec, items in step.sections
    ]
    picker: dict[str, Any] | None = None
    if step.kind == "brands":
        own = d.own_brand.id
        locked = d.brand_options.own_required
        picker = {
            "id": html_id(BRANDS_FIELD), "name": BRANDS_FIELD, "error": errors.get(BRANDS_FIELD),
            "question": d.text(d.brand_options.question, lang) or t["brands_question"],
            "badge": d.text(d.brand_options.own_badge, lang) or t["our_brand"],
            "options": [{"value": b, "label": brand_name(d, b, lang), "own": b == own,
                         "locked": locked and b == own, "checked": b in chosen or (locked and b == own)}
                        for b in brand_order(d)],
        }
    on_page = step.field_names()
    summary = [{"href": "#" + it["id"], "text": it["text"], "error": it["error"]}
               for sec in sections for it in sec["items"] if it["error"]]
    if picker and picker["error"]:
        summary.insert(0, {"href": "#" + picker["id"], "text": picker["question"], "error": picker["error"]})
    return {
        "ui": t, "lang": lang, "langs": language_choices(d), "slug": slug,
        "title": d.text(d.title, lang), "organisation": d.text(d.organisation, lang),
        "intro": d.text(d.intro, lang) if index == 1 else "",
        "progress": {"i": index, "n": len(steps), "pct": round(100 * index / len(steps)),
                     "text": t["page_of"].format(i=index, n=len(steps))},
        "sections": sections, "picker": picker,
        "brand_heading": t["rating_for"].format(brand=brand_name(d, step.brand, lang)) if step.brand else "",
        "hidden": hidden, "has_prev": index > 1, "is_last": index == len(steps),
        "resume_url": resume_url, "invited": invited,
        "summary": summary, "general_errors": general_errors,
        "other_errors": any(k not in on_page for k in errors),
    }


def message_context(kind: str, lang: str, d: SurveyDefinition | None, back_url: str | None = None
                    ) -> dict[str, Any]:
    """A page with one message (thank you, already answered, link not valid, ...)."""
    t = ui(lang)
    return {
        "ui": t, "lang": lang, "langs": language_choices(d), "kind": kind,
        "title": d.text(d.title, lang) if d else "", "organisation": d.text(d.organisation, lang) if d else "",
        "heading": t[f"{kind}_title"], "body": t[f"{kind}_body"], "back_url": back_url,
    }
