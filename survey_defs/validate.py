"""Cross-reference checks of a structurally valid definition, each located by line.

The pydantic schema checks shapes and types; what it cannot see (unknown references, weights that do not sum
to 1, inconsistent AHP matrices, cycles, missing translations, duplicate ids) is checked here, and every
problem is reported, not just the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from survey_defs.ahp import CR_THRESHOLD, MAX_N, ahp_weights
from survey_defs.codebook.items import ItemCodec, compile_item
from survey_defs.conditions import ConditionError, items_of
from survey_defs.conditions import check as check_condition
from survey_defs.conditions import parse as parse_condition
from survey_defs.schema import (
    INVITATION_VARIABLES,
    KANO_ANSWERS,
    MISSING_CODE,
    MISSING_MARGIN,
    NA_CODE,
    IndicatorNode,
    InvitationText,
    Item,
    Kano,
    LatentModel,
    LocalText,
    Loyalty,
    Scale,
    Servqual,
    SurveyDefinition,
    Weighting,
)
from survey_defs.waves import wave_problems
from survey_defs.yamlmap import LineMap, Path

#: Sibling weights must sum to 1 within this.
WEIGHT_TOL = 1e-6
#: a_ij * a_ji may differ from 1 by this much: 0.333 for 1/3 passes, 0.33 does not (write 1/3).
RECIPROCAL_TOL = 2e-3
#: Item types that can be scored 0-100 and so can be leaves of the indicator tree.
TREE_TYPES = ("likert", "nps", "yes_no")
#: Item types that can be indicators of the latent model (yes/no as 1/0).
MODEL_TYPES = ("likert", "nps", "yes_no")
#: Population shares of one raking variable must sum to 1 within this (published shares are rounded; raking
#: normalises them exactly).
SHARE_TOL = 1e-3

Found = tuple[int, str]


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class _Checker:
    """Collects (line, message) pairs; one instance per definition."""

    def __init__(self, d: SurveyDefinition, lines: LineMap) -> None:
        self.d = d
        self.lm = lines
        self.found: list[Found] = []
        self.item_path: dict[str, Path] = {}
        self.items: dict[str, Item] = {}

    def add(self, path: Path, message: str) -> None:
        self.found.append((self.lm.line(path), message))

    def line(self, path: Path) -> int:
        return self.lm.line(path)

    def unique(self, entries: Iterable[tuple[str, Path]], kind: str, where: str = "") -> dict[str, Path]:
        """Report repeated ids; return the first path of each id."""
        first: dict[str, Path] = {}
        for ident, path in entries:
            if ident in first:
                self.add(path, f"duplicate {kind} '{ident}'{where} (first at line {self.line(first[ident])})")
            else:
                first[ident] = path
        return first

    def local(self, t: LocalText | None, path: Path, what: str, required: bool = True) -> None:
        """Every declared language must have a non-empty text."""
        if t is None:
            if required:
                self.add(path, f"{what} is missing")
            return
        for lang in self.d.languages:
            if not (t.get(lang) or "").strip():
                self.add((*path, lang) if lang in t else path, f"{what} missing in language '{lang}'")

    # ---- the checks ----
    def run(self) -> list[Found]:
        self.languages()
        self.scales()
        self.sections_and_items()
        self.conditions()
        self.brands()
        self.waves()
        self.brand_options()
        if self.d.quotas is not None:
            self.quotas(self.d.quotas)
        if self.d.indicators is not None:
            self.tree(self.d.indicators)
        if self.d.loyalty is not None:
            self.loyalty(self.d.loyalty)
        if self.d.model is not None:
            self.model(self.d.model)
        if self.d.servqual is not None:
            self.servqual(self.d.servqual)
        if self.d.kano is not None:
            self.kano(self.d.kano)
        if self.d.weighting is not None:
            self.weighting(self.d.weighting)
        if self.d.invitation is not None:
            self.invitation(self.d.invitation)
        return self.found

    def languages(self) -> None:
        d = self.d
        if not d.languages:
            self.add(("languages",), "no languages declared")
        self.unique(((lang, ("languages", i)) for i, lang in enumerate(d.languages)), "language")
        if d.languages and d.default_language not in d.languages:
            self.add(
                ("default_language",),
                f"default_language '{d.default_language}' is not in languages {d.languages}",
            )
        if d.timezone is not None and not _known_zone(d.timezone):
            self.add(("timezone",), f"unknown time zone '{d.timezone}' (an IANA name such as Asia/Shanghai or UTC)")
        self.local(d.title, ("title",), "title")
        self.local(d.intro, ("intro",), "intro", required=False)
        self.local(d.organisation, ("organisation",), "organisation", required=False)

    def scales(self) -> None:
        for name, sc in self.d.scales.items():
            p: Path = ("scales", name)
            for lang in self.d.languages:
                labels = sc.labels.get(lang)
                if labels is None:
                    self.add((*p, "labels"), f"label missing in language '{lang}' for scale '{name}'")
                elif len(labels) != sc.points:
                    self.add(
                        (*p, "labels", lang),
                        f"scale '{name}' has {len(labels)} labels in '{lang}', expected {sc.points} (one per point)",
                    )
                elif any(not str(x).strip() for x in labels):
                    self.add((*p, "labels", lang), f"empty label in language '{lang}' for scale '{name}'")
            if sc.na_label is not None:
                self.local(sc.na_label, (*p, "na_label"), f"na_label of scale '{name}'")
            if sc.min < 0 or sc.max > 32767:
                self.add(
                    (*p, "min"),
                    f"scale '{name}' values must lie in 0..32767 "
                    f"(codes {MISSING_CODE} and {NA_CODE} are reserved for missing and N/A)",
                )
            if sc.top_box is not None and not 1 <= sc.top_box < sc.points:
                self.add((*p, "top_box"), f"top_box of scale '{name}' must be between 1 and {sc.points - 1}")

    def sections_and_items(self) -> None:
        d = self.d
        self.unique(((s.id, ("sections", i, "id")) for i, s in enumerate(d.sections)), "section id")
        entries = [
            (it.id, ("sections", i, "items", j)) for i, s in enumerate(d.sections) for j, it in enumerate(s.items)
        ]
        self.item_path = self.unique(entries, "item id")
        self.items = {}
        for it in d.items:
            self.items.setdefault(it.id, it)
        last_page = 0
        for i, s in enumerate(d.sections):
            sp: Path = ("sections", i)
            self.local(s.title, (*sp, "title"), f"title of section '{s.id}'")
            if not s.items:
                self.add((*sp, "items"), f"section '{s.id}' has no items")
            if s.page is not None:
                if s.page < 1:
                    self.add((*sp, "page"), f"page of section '{s.id}' must be >= 1")
                elif s.page < last_page:
                    self.add(
                        (*sp, "page"),
                        f"section '{s.id}' is on page {s.page}, before the previous "
                        f"section's page {last_page}; pages must not decrease",
                    )
                last_page = max(last_page, s.page)
            for j, it in enumerate(s.items):
                self.item(it, (*sp, "items", j))

    def item(self, it: Item, p: Path) -> None:
        self.local(it.text, (*p, "text"), f"text of item '{it.id}'")
        if it.type in ("likert", "nps"):
            if it.scale is None:
                self.add(p, f"{it.type} item '{it.id}' needs a scale")
            elif it.scale not in self.d.scales:
                self.add((*p, "scale"), f"unknown scale '{it.scale}' in item '{it.id}'")
            elif it.type == "nps":
                sc = self.d.scales[it.scale]
                if sc.points != 11 or sc.min != 0:
                    self.add(
                        (*p, "scale"),
                        f"nps item '{it.id}' needs an 11-point 0..10 scale, but scale "
                        f"'{it.scale}' runs {sc.min}..{sc.max}",
                    )
        elif it.scale is not None:
            self.add((*p, "scale"), f"{it.type} item '{it.id}' cannot have a scale (only likert and nps items)")
        if it.type == "choice":
            if not it.options:
                self.add(p, f"choice item '{it.id}' needs options")
            else:
                self.unique(
                    ((o.code, (*p, "options", k, "code")) for k, o in enumerate(it.options)),
                    "option code",
                    f" in item '{it.id}'",
                )
                for k, o in enumerate(it.options):
                    self.local(o.label, (*p, "options", k, "label"), f"label of option '{o.code}' of item '{it.id}'")
        elif it.options is not None:
            self.add((*p, "options"), f"{it.type} item '{it.id}' cannot have options (only choice items)")
        if it.reverse and it.type != "likert":
            self.add((*p, "reverse"), f"only likert items can be reverse-coded, not {it.type} item '{it.id}'")
        if it.segment and it.type != "choice":
            self.add((*p, "segment"), f"segment: true needs a choice item, not {it.type} item '{it.id}'")

    # ---- show_if ----
    def conditions(self) -> None:
        """``show_if`` of sections and items: syntax, unknown items and options, type mismatches, references to
        later items (an item may depend only on items asked before it, in definition order) and cycles."""
        d = self.d
        order: dict[str, tuple[int, int]] = {}  # item -> (position in definition order, section index)
        for i, s in enumerate(d.sections):
            for it in s.items:
                order.setdefault(it.id, (len(order), i))
        edges: dict[tuple[str, str], Path] = {}  # (dependent item, item it depends on) -> the show_if's path
        later: list[tuple[str, str, Path, str]] = []
        for i, s in enumerate(d.sections):
            sp: Path = ("sections", i)
            if s.show_if is not None and s.items:
                owner = f"section '{s.id}'"
                for ref in self.condition(s.show_if, (*sp, "show_if"), owner, s.per_brand):
                    if ref not in order:
                        continue
                    if order[ref][1] == i:
                        self.add((*sp, "show_if"), f"show_if of {owner} refers to '{ref}', an item of the same "
                                 "section (a cycle: the section's own answers cannot decide whether it is asked); "
                                 "use an item of an earlier section")
                    elif order[ref][1] > i:
                        later.append((s.items[0].id, ref, (*sp, "show_if"), owner))
                    for it in s.items:
                        if order[ref][1] != i:
                            edges.setdefault((it.id, ref), (*sp, "show_if"))
            for j, it in enumerate(s.items):
                if it.show_if is None:
                    continue
                ip: Path = (*sp, "items", j, "show_if")
                owner = f"item '{it.id}'"
                for ref in self.condition(it.show_if, ip, owner, s.per_brand):
                    if ref == it.id:
                        self.add(ip, f"show_if of {owner} refers to itself (a cycle)")
                    elif ref in order:
                        edges.setdefault((it.id, ref), ip)
                        if order[ref][0] > order[it.id][0]:
                            later.append((it.id, ref, ip, owner))
        graph: dict[str, list[str]] = {}
        for a, b in edges:
            graph.setdefault(a, []).append(b)
        cycle = find_cycle(graph)
        in_cycle: set[tuple[str, str]] = set()
        if cycle:
            in_cycle = set(pairwise(cycle))
            self.add(edges[(cycle[0], cycle[1])], "cycle in show_if: " + " -> ".join(f"'{c}'" for c in cycle)
                     + " (each is asked only depending on the next)")
        for dep, ref, p, owner in later:
            if (dep, ref) not in in_cycle:
                self.add(p, f"show_if of {owner} refers to '{ref}', which is asked later (line "
                            f"{self.line(self.item_path[ref])}); a condition can only use items asked before it")

    def condition(self, text: str, p: Path, owner: str, per_brand: bool) -> list[str]:
        """Report what is wrong with one ``show_if``; return the known items it refers to."""
        try:
            e = parse_condition(text)
        except ConditionError as err:
            self.add(p, f"show_if of {owner}: {err}")
            return []
        refs = items_of(e)
        for ref in refs:
            it = self.items.get(ref)
            if it is not None and not per_brand and self.d.section_of[ref].per_brand:
                self.add(p, f"show_if of {owner} refers to per-brand item '{ref}', which has one answer per brand; "
                            "only items of per-brand sections can depend on it")
        for problem in check_condition(e, self.codec, frozenset(self.d.text_item_ids)):
            self.add(p, f"show_if of {owner}: {problem}")
        return [r for r in refs if r in self.items]

    def codec(self, item_id: str) -> ItemCodec | None:
        """The codebook's reading of an item's answers (None for an unknown item or one whose scale is unknown,
        already reported)."""
        it = self.items.get(item_id)
        if it is None or (it.type in ("likert", "nps") and it.scale not in self.d.scales):
            return None
        return compile_item(self.d, it, 0, self.d.section_of[item_id].per_brand)

    def brands(self) -> None:
        d = self.d
        self.unique(((b.id, ("brands", i, "id")) for i, b in enumerate(d.brands)), "brand id")
        for i, b in enumerate(d.brands):
            self.local(b.name, ("brands", i, "name"), f"name of brand '{b.id}'")
        own = [i for i, b in enumerate(d.brands) if b.own]
        if not own:
            self.add(("brands",), "no brand is marked 'own: true'; exactly one brand must be our own")
        for i in own[1:]:
            self.add(
                ("brands", i, "own"),
                f"brand '{d.brands[i].id}' is also marked own (first own brand "
                f"'{d.brands[own[0]].id}' at line {self.line(('brands', own[0]))}); "
                "exactly one brand must be our own",
            )

    def waves(self) -> None:
        self.unique(((w.id, ("waves", i, "id")) for i, w in enumerate(self.d.waves)), "wave id")
        for i, w in enumerate(self.d.waves):
            self.local(w.label, ("waves", i, "label"), f"label of wave '{w.id}'")
        tz = self.d.tz if _known_zone(self.d.tz) else "UTC"
        for i, key, msg in wave_problems(self.d.waves, tz):
            self.add(("waves", i, key), msg)

    def brand_options(self) -> None:
        bo = self.d.brand_options
        self.local(bo.question, ("brand_options", "question"), "brand_options.question", required=False)
        self.local(bo.own_badge, ("brand_options", "own_badge"), "brand_options.own_badge", required=False)

    def quotas(self, quotas: dict[str, dict[str, int]]) -> None:
        """Quota cells name respondent-level choice items and their option codes."""
        qp: Path = ("quotas",)
        if not quotas:
            self.add(qp, "the quotas block sets no targets")
        for item_id, cells in quotas.items():
            ip: Path = (*qp, item_id)
            it = self.items.get(item_id)
            if it is None:
                self.add(ip, f"unknown item '{item_id}' in the quotas")
                continue
            if it.type != "choice" or not it.options:
                self.add(ip, f"quota variable '{item_id}' must be a choice item, not {it.type}")
                continue
            if self.d.is_per_brand(item_id):
                self.add(ip, f"quota variable '{item_id}' is asked per brand; quotas count respondents")
                continue
            codes = [o.code for o in it.options]
            if not cells:
                self.add(ip, f"the quotas of '{item_id}' set no targets")
            for code in cells:
                if code not in codes:
                    self.add((*ip, code), f"unknown option code '{code}' in the quotas of '{item_id}' "
                                          f"(options: {', '.join(codes)})")

    # ---- indicator tree ----
    def tree(self, root: IndicatorNode) -> None:
        node_ids: list[tuple[str, Path]] = []
        used: dict[str, Path] = {}

        def visit(n: IndicatorNode, p: Path, trail: tuple[str, ...]) -> None:
            node_ids.append((n.id, (*p, "id")))
            trail = (*trail, n.id)
            if n.label is not None:
                self.local(n.label, (*p, "label"), f"label of indicator '{n.id}'")
            if n.is_leaf:
                self.leaf(n, p, used)
            else:
                if n.item is not None:
                    self.add(
                        (*p, "item"),
                        f"indicator '{n.id}' has children, so it cannot also name item '{n.item}'",
                    )
                self.weights(n, p, trail)
                for k, c in enumerate(n.children):
                    visit(c, (*p, "children", k), trail)

        visit(root, ("indicators",), ())
        self.unique(node_ids, "indicator id")

    def leaf(self, n: IndicatorNode, p: Path, used: dict[str, Path]) -> None:
        for key in ("ahp", "derive"):
            if getattr(n, key) is not None:
                self.add((*p, key), f"indicator '{n.id}' has no children, so '{key}' means nothing")
        if n.item is None:
            self.add(p, f"indicator '{n.id}' has neither an item nor children")
            return
        if n.item in used:
            self.add(
                (*p, "item"),
                f"item '{n.item}' is used twice in the indicator tree (also at line {self.line(used[n.item])})",
            )
        else:
            used[n.item] = (*p, "item")
        it = self.items.get(n.item)
        if it is None:
            self.add((*p, "item"), f"unknown item '{n.item}' in indicator '{n.id}'")
        elif it.type not in TREE_TYPES:
            self.add(
                (*p, "item"),
                f"{it.type} item '{n.item}' cannot be in the indicator tree "
                f"(indicator '{n.id}'); leaves must be {', '.join(TREE_TYPES)} items",
            )

    def weights(self, n: IndicatorNode, p: Path, trail: tuple[str, ...]) -> None:
        kids = n.children
        methods = [
            m for m, on in (("ahp", n.ahp is not None), ("derive", n.derive is not None), ("equal", n.equal)) if on
        ]
        given = [k for k, c in enumerate(kids) if c.weight is not None]
        path_text = " > ".join(trail)
        if len(methods) > 1:
            self.add(
                p,
                f"indicator '{n.id}' weights its children in several ways ({', '.join(methods)}); choose one",
            )
        if methods and given:
            self.add(
                (*p, "children", given[0], "weight"),
                f"indicator '{n.id}' mixes given child weights with {methods[0]}; remove the weights "
                f"or the {methods[0]} (path: {path_text})",
            )
        if not methods:
            missing = [c.id for c in kids if c.weight is None]
            if missing:
                self.add(
                    p,
                    f"children of '{n.id}' need a weight each, or the parent needs ahp, derive or "
                    f"equal: missing on {', '.join(repr(m) for m in missing)} (path: {path_text})",
                )
            for k, c in enumerate(kids):
                if c.weight is not None and not 0 <= c.weight <= 1:
                    self.add(
                        (*p, "children", k, "weight"),
                        f"weight of '{c.id}' must be between 0 and 1, not {c.weight:g}",
                    )
            if given and not missing:
                total = sum(c.weight or 0.0 for c in kids)
                if abs(total - 1.0) > WEIGHT_TOL:
                    self.add(
                        (*p, "children"),
                        f"weights of the children of '{n.id}' sum to {total:.6g}, not 1 (path: {path_text})",
                    )
        if n.ahp is not None:
            self.ahp(n, p)

    def ahp(self, n: IndicatorNode, p: Path) -> None:
        m = n.ahp or []
        ap: Path = (*p, "ahp")
        k = len(n.children)
        if any(len(row) != len(m) for row in m) or not m:
            self.add(ap, f"AHP matrix of '{n.id}' is not square ({len(m)} rows of lengths {[len(r) for r in m]})")
            return
        if len(m) != k:
            self.add(ap, f"AHP matrix of '{n.id}' is {len(m)}x{len(m)} but '{n.id}' has {k} children")
            return
        if len(m) > MAX_N:
            self.add(ap, f"AHP matrix of '{n.id}' has {len(m)} rows; at most {MAX_N} are supported")
            return
        bad = [(i, j) for i, row in enumerate(m) for j, x in enumerate(row) if not x > 0]
        if bad:
            i, j = bad[0]
            self.add(
                (*ap, i, j),
                f"AHP matrix of '{n.id}' has a cell that is not > 0 (row {i + 1}, column {j + 1})",
            )
            return
        for i in range(k):
            for j in range(i, k):
                if abs(m[i][j] * m[j][i] - 1.0) > RECIPROCAL_TOL:
                    what = (
                        "the diagonal must be 1"
                        if i == j
                        else (
                            f"a[{i + 1}][{j + 1}] = {m[i][j]:g} but a[{j + 1}][{i + 1}] = {m[j][i]:g}; "
                            f"it should be 1/{m[i][j]:g} (write fractions like 1/3)"
                        )
                    )
                    self.add(
                        (*ap, j, i) if i != j else (*ap, i, j),
                        f"AHP matrix of '{n.id}' is not reciprocal: {what}",
                    )
                    return
        res = ahp_weights(m)
        if not res.consistent:
            self.add(ap, f"AHP matrix of '{n.id}' is inconsistent: CR = {res.cr:.3f} >= {CR_THRESHOLD:.2f}")

    # ---- loyalty ----
    def scaled_item(self, item_id: str | None, p: Path, role: str) -> Scale | None:
        """An item with a scale for a loyalty role, or None after reporting why not."""
        if item_id is None:
            return None
        it = self.items.get(item_id)
        if it is None:
            self.add(p, f"unknown item '{item_id}' as loyalty {role}")
            return None
        if it.type not in ("likert", "nps") or it.scale not in self.d.scales:
            if it.type not in ("likert", "nps"):
                self.add(p, f"loyalty {role} '{item_id}' must be a likert or nps item, not {it.type}")
            return None
        return self.d.scales[it.scale]

    def loyalty(self, ly: Loyalty) -> None:
        lp: Path = ("loyalty",)
        sat = self.scaled_item(ly.satisfaction_item, (*lp, "satisfaction_item"), "satisfaction_item")
        loy = self.scaled_item(ly.loyalty_item, (*lp, "loyalty_item"), "loyalty_item")
        self.scaled_item(ly.nps_item, (*lp, "nps_item"), "nps_item")
        nps = self.items.get(ly.nps_item or "")
        if nps is not None and nps.type != "nps":
            self.add((*lp, "nps_item"), f"loyalty nps_item '{nps.id}' must be an nps item, not {nps.type}")
        if ly.defection_max >= ly.loyalty_min:
            self.add(
                (*lp, "loyalty_min"),
                f"defection_max ({ly.defection_max}) must be below loyalty_min ({ly.loyalty_min})",
            )
        if sat is not None:
            for key in ("defection_max", "loyalty_min"):
                v = getattr(ly, key)
                if not sat.min <= v <= sat.max:
                    self.add(
                        (*lp, key),
                        f"loyalty {key} = {v} is outside the scale of satisfaction item "
                        f"'{ly.satisfaction_item}' ({sat.min}..{sat.max})",
                    )
        if ly.loyalty_high_min is not None:
            ref, ref_id = (loy, ly.loyalty_item) if ly.loyalty_item else (sat, ly.satisfaction_item)
            if ref is not None and not ref.min <= ly.loyalty_high_min <= ref.max:
                self.add(
                    (*lp, "loyalty_high_min"),
                    f"loyalty_high_min = {ly.loyalty_high_min} is outside the "
                    f"scale of item '{ref_id}' ({ref.min}..{ref.max})",
                )

    # ---- latent model ----
    def model(self, m: LatentModel) -> None:
        mp: Path = ("model",)
        cids = self.unique(((c.id, (*mp, "constructs", i, "id")) for i, c in enumerate(m.constructs)), "construct id")
        owner: dict[str, tuple[str, Path]] = {}
        for i, c in enumerate(m.constructs):
            cp: Path = (*mp, "constructs", i)
            if c.label is not None:
                self.local(c.label, (*cp, "label"), f"label of model construct '{c.id}'")
            if not c.items:
                self.add((*cp, "items"), f"model construct '{c.id}' has no items")
            for j, item_id in enumerate(c.items):
                ip: Path = (*cp, "items", j)
                it = self.items.get(item_id)
                if it is None:
                    self.add(ip, f"model construct '{c.id}' names unknown item '{item_id}'")
                    continue
                if it.type not in MODEL_TYPES:
                    self.add(
                        ip,
                        f"model construct '{c.id}' names {it.type} item '{item_id}'; indicators must be "
                        f"{', '.join(MODEL_TYPES)} items",
                    )
                if item_id in owner:
                    other, op = owner[item_id]
                    self.add(
                        ip,
                        f"item '{item_id}' is in two model constructs: '{other}' (line {self.line(op)}) and '{c.id}'",
                    )
                else:
                    owner[item_id] = (c.id, ip)
        if m.satisfaction not in cids:
            self.add((*mp, "satisfaction"), f"model satisfaction construct '{m.satisfaction}' is not a construct")
        graph: dict[str, list[str]] = {c: [] for c in cids}
        seen: dict[tuple[str, str], Path] = {}
        for k, (src, dst) in enumerate(m.paths):
            pp: Path = (*mp, "paths", k)
            ok = True
            for end in (src, dst):
                if end not in cids:
                    self.add(pp, f"model path {src} -> {dst} names unknown construct '{end}'")
                    ok = False
            if src == dst:
                self.add(pp, f"model path {src} -> {dst} points a construct at itself")
                ok = False
            if (src, dst) in seen:
                self.add(pp, f"duplicate model path {src} -> {dst} (first at line {self.line(seen[(src, dst)])})")
                ok = False
            seen.setdefault((src, dst), pp)
            if ok:
                graph[src].append(dst)
        cycle = find_cycle(graph)
        if cycle:
            first = cycle[0], cycle[1]
            self.add(seen.get(first, (*mp, "paths")), f"cycle in model paths: {' -> '.join(cycle)}")


    # ---- SERVQUAL, Kano, weighting ----
    def once(self, item_id: str, p: Path, used: dict[str, Path], block: str) -> None:
        """Report an item used a second time within one block."""
        if item_id in used:
            first = self.line(used[item_id])
            self.add(p, f"item '{item_id}' is used twice in the {block} block (also at line {first})")
        else:
            used[item_id] = p

    def servqual(self, sq: Servqual) -> None:
        sp: Path = ("servqual",)
        if not sq.dimensions:
            self.add((*sp, "dimensions"), "the servqual block declares no dimensions")
        self.unique(
            ((dim.id, (*sp, "dimensions", i, "id")) for i, dim in enumerate(sq.dimensions)), "SERVQUAL dimension id"
        )
        used: dict[str, Path] = {}
        scale: tuple[str, Path] | None = None
        for i, dim in enumerate(sq.dimensions):
            dp: Path = (*sp, "dimensions", i)
            self.local(dim.label, (*dp, "label"), f"label of SERVQUAL dimension '{dim.id}'")
            if not dim.pairs:
                self.add((*dp, "pairs"), f"SERVQUAL dimension '{dim.id}' has no [expectation, perception] pairs")
            for k, pair in enumerate(dim.pairs):
                pp: Path = (*dp, "pairs", k)
                if pair[0] == pair[1]:
                    self.add(pp, f"SERVQUAL pair {k + 1} of dimension '{dim.id}' uses item '{pair[0]}' as both "
                                 "expectation and perception")
                    continue
                for j, (role, item_id) in enumerate(zip(("expectation", "perception"), pair, strict=True)):
                    ip: Path = (*pp, j)
                    it = self.items.get(item_id)
                    what = f"the {role} of SERVQUAL pair {k + 1} of dimension '{dim.id}'"
                    if it is None:
                        self.add(ip, f"unknown item '{item_id}' as {what}")
                        continue
                    self.once(item_id, ip, used, "servqual")
                    if it.type != "likert" or it.scale not in self.d.scales:
                        if it.type != "likert":
                            self.add(ip, f"{it.type} item '{item_id}' cannot be {what}; SERVQUAL items are likert")
                        continue
                    if scale is None:
                        scale = (it.scale, ip)
                    elif it.scale != scale[0]:
                        self.add(ip, f"item '{item_id}' ({what}) uses scale '{it.scale}' but the SERVQUAL items use "
                                     f"scale '{scale[0]}' (line {self.line(scale[1])}); gaps need one scale")

    def kano(self, kb: Kano) -> None:
        kp: Path = ("kano",)
        if not kb.features:
            self.add((*kp, "features"), "the kano block declares no features")
        self.unique(((f.id, (*kp, "features", i, "id")) for i, f in enumerate(kb.features)), "Kano feature id")
        used: dict[str, Path] = {}
        want = ", ".join(KANO_ANSWERS)
        for i, f in enumerate(kb.features):
            fp: Path = (*kp, "features", i)
            self.local(f.label, (*fp, "label"), f"label of Kano feature '{f.id}'")
            if f.functional == f.dysfunctional:
                self.add((*fp, "dysfunctional"), f"Kano feature '{f.id}' uses item '{f.functional}' as both its "
                                                  "functional and its dysfunctional question")
                continue
            for role in ("functional", "dysfunctional"):
                item_id = getattr(f, role)
                ip: Path = (*fp, role)
                it = self.items.get(item_id)
                if it is None:
                    self.add(ip, f"unknown item '{item_id}' as the {role} question of Kano feature '{f.id}'")
                    continue
                self.once(item_id, ip, used, "kano")
                if it.type != "choice":
                    self.add(ip, f"{it.type} item '{item_id}' cannot be the {role} question of Kano feature "
                                 f"'{f.id}'; it must be a choice item with the options {want}")
                    continue
                codes = [o.code for o in it.options or []]
                missing = [c for c in KANO_ANSWERS if c not in codes]
                extra = [c for c in codes if c not in KANO_ANSWERS]
                if missing or extra:
                    parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
                        [f"has unknown {', '.join(extra)}"] if extra else [])
                    self.add(ip, f"Kano question '{item_id}' ({role}, feature '{f.id}') must have exactly the options "
                                 f"{want}; it {' and '.join(parts)}")

    def weighting(self, wb: Weighting) -> None:
        wp: Path = ("weighting",)
        mp: Path = (*wp, "margins")
        if not wb.margins:
            self.add(mp, "the weighting block gives no margins")
        for item_id, shares in wb.margins.items():
            ip: Path = (*mp, item_id)
            it = self.items.get(item_id)
            if it is None:
                self.add(ip, f"unknown item '{item_id}' in the weighting margins")
                continue
            if it.type != "choice" or not it.options:
                self.add(ip, f"raking variable '{item_id}' must be a choice item, not {it.type}")
                continue
            codes = [o.code for o in it.options]
            for code, share in shares.items():
                cp: Path = (*ip, code)
                if code not in codes and code != MISSING_MARGIN:
                    self.add(cp, f"unknown option code '{code}' in the margins of '{item_id}' "
                                 f"(options: {', '.join(codes)}; '{MISSING_MARGIN}' for no answer)")
                elif not (share > 0 and share < float("inf")):
                    self.add(cp, f"population share of '{item_id}' = '{code}' must be > 0, not {share:g}")
            absent = [c for c in codes if c not in shares]
            if absent:
                self.add(ip, f"the margins of '{item_id}' give no population share to {', '.join(absent)}; "
                             "raking needs a target for every option")
            total = sum(shares.values())
            if shares and abs(total - 1.0) > SHARE_TOL:
                self.add(ip, f"population shares of '{item_id}' sum to {total:.6g}, not 1")
        t = wb.trim
        if t is not None:
            if t.min is None and t.max is None:
                self.add((*wp, "trim"), "trim gives neither min nor max")
            if t.min is not None and not 0 < t.min <= 1:
                self.add((*wp, "trim", "min"), f"trim.min = {t.min:g} must be in (0, 1] (weights have mean 1)")
            if t.max is not None and not t.max >= 1:
                self.add((*wp, "trim", "max"), f"trim.max = {t.max:g} must be >= 1 (weights have mean 1)")

    def invitation(self, inv: InvitationText) -> None:
        """Each template parses (Jinja2) and uses only the invitation variables; every language has one."""
        from jinja2 import TemplateSyntaxError, meta
        from jinja2.sandbox import SandboxedEnvironment

        env = SandboxedEnvironment()
        for part in ("subject", "body", "sms"):
            texts: LocalText | None = getattr(inv, part)
            self.local(texts, ("invitation", part), f"invitation {part}", required=part != "sms")
            for lang, src in (texts or {}).items():
                p: Path = ("invitation", part, lang)
                try:
                    used = meta.find_undeclared_variables(env.parse(src))
                except TemplateSyntaxError as e:
                    self.add(p, f"invitation {part} ({lang}): template error: {e.message}")
                    continue
                for name in sorted(used - set(INVITATION_VARIABLES)):
                    self.add(p, f"invitation {part} ({lang}): unknown variable '{name}'; use "
                                f"{', '.join(INVITATION_VARIABLES)}")


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One directed cycle as [a, b, ..., a], or None; depth-first search with colours."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in graph.get(u, []):
            if state.get(v) == 1:
                return [*stack[stack.index(v) :], v]
            if v not in state:
                found = dfs(v)
                if found:
                    return found
        stack.pop()
        state[u] = 2
        return None

    for node in graph:
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def cross_check(definition: SurveyDefinition, lines: LineMap) -> list[Found]:
    """Every cross-reference problem of ``definition`` as (line, message) pairs."""
    return _Checker(definition, lines).run()
