"""The survey's own words in the report's language: item, node, brand, wave, channel and scale labels, reasons
said with those labels, and labels cut to chart size.

One `Labels` per context, built from the definition, is passed to every section so that an id is named the same
way in every table, chart and sentence.
"""

from __future__ import annotations

from reports.context.figures import section_reason, status
from reports.i18n import t
from reports.reasons import explain
from survey_defs.schema import Scale, SurveyDefinition

__all__ = ["TOP_LEVEL_CHART_MAX", "Labels", "top_level_ids"]

#: At most this many top-level dimensions in the brand and trend charts (the tables list them all).
TOP_LEVEL_CHART_MAX = 8


def top_level_ids(d: SurveyDefinition) -> list[str]:
    """The ids of the index's top-level dimensions (its children), in the definition's order."""
    return [nd.id for nd in d.indicators.children] if d.indicators else []


class Labels:
    """Labels from the definition in one language (items, nodes, brands, waves, options)."""

    def __init__(self, d: SurveyDefinition, lang: str) -> None:
        self.d, self.lang = d, lang
        self.nodes: dict[str, str] = {}
        self.node_item: dict[str, str] = {}
        if d.indicators is not None:
            for nd in d.indicators.walk():
                if nd.item:
                    self.node_item[nd.id] = nd.item
                self.nodes[nd.id] = d.text(nd.label, lang) if nd.label else (self.item(nd.item) if nd.item else nd.id)

    def item(self, item_id: str | None) -> str:
        if not item_id:
            return ""
        it = self.d.item_map.get(item_id)
        return self.d.text(it.text, self.lang) if it else item_id

    def node(self, node_id: str) -> str:
        return self.nodes.get(node_id, node_id)

    def brand(self, brand_id: str) -> str:
        for b in self.d.brands:
            if b.id == brand_id:
                return self.d.text(b.name, self.lang)
        return brand_id

    def wave(self, wave_id: object) -> str:
        for w in self.d.waves:
            if w.id == wave_id:
                return self.d.text(w.label, self.lang)
        return str(wave_id) if wave_id is not None else ""

    def channel(self, ch: str) -> str:
        names = {"web": ("网页", "Web"), "api": ("接口", "API"), "phone": ("电话", "Phone"),
                 "paper": ("纸质", "Paper"), "import": ("导入", "Import"), "unknown": ("未知", "Unknown")}
        pair = names.get(ch)
        return (pair[0] if self.lang == "zh" else pair[1]) if pair else ch

    def scale(self, item_id: str) -> Scale | None:
        """The item's answer scale, None for an item without one."""
        return self.d.scale_of(item_id) if self.d.item(item_id).scale else None

    def scale_labels(self, sc: Scale) -> list[str]:
        """The scale's answer labels in this language (the definition's default language when it has none)."""
        return sc.labels.get(self.lang) or sc.labels.get(self.d.default_language) or []

    def why(self, sec: object) -> str:
        """Why ``sec`` (an analysis section or figure) has no result, in this language (`reports.reasons`)."""
        return explain(section_reason(sec), self.lang, status=status(sec), item=self.item, brand=self.brand)

    def cannot(self, sec: object) -> str:
        """"This section cannot be computed: <why>." in this language."""
        return t("section_error", self.lang, reason=self.why(sec))

    def short(self, text: str, n_en: int = 34, n_zh: int = 16) -> str:
        """A chart-sized label: cut at a word (en) or character count (zh) with an ellipsis."""
        limit = n_zh if self.lang == "zh" else n_en
        if len(text) <= limit:
            return text
        cut = text[:limit]
        if self.lang != "zh" and " " in cut:
            cut = cut[: cut.rfind(" ")]
        return cut.rstrip(" ,;:(（、，") + "…"
