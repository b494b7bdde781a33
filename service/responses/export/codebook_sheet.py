"""The codebook that travels with an export: what every column means, its values, labels and scores.

A quality department reads an XLSX without access to the YAML definition, so the workbook carries it: per item
its section, type, text in each language, reverse/allow_na/required, and one row per value (scale point,
yes/no, option code) with its labels and 0-100 score; then the indicator tree with each parent's children's
weights and where they come from. Scores come from `analytics.scoring` and weights from
`analytics.tree_weights`: the export shows the rules the analyses use, it does not restate them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from analytics.scoring import item_scoring, score_codes
from analytics.tree_nodes import layout
from analytics.tree_weights import fixed_weights
from service.responses.export.table import Table
from survey_defs.schema import NA_CODE


def _flag(b: bool) -> str:
    return "yes" if b else ""


def item_rows(t: Table) -> Iterator[list[Any]]:
    """Header, then per item one row with its texts and flags followed by one row per value."""
    d = t.definition
    langs = list(d.languages)
    yield (["item", "section", "type", *(f"text ({lg})" for lg in langs), "value",
            *(f"label ({lg})" for lg in langs), "score", "reverse", "allow_na", "required"])
    blank = [""] * len(langs)
    for iid in t.items:
        it, idef = t.item_defs[iid], t.definitions[iid]
        section = idef.section_of[iid]
        yield [iid, section.id + (" (per brand)" if section.per_brand else ""), it.type,
               *(idef.text(it.text, lg) for lg in langs), "", *blank, "",
               _flag(it.reverse), _flag(it.allow_na), _flag(it.required)]
        codec = t.codecs.get(iid)
        if codec is None:  # text items have no values
            continue
        if it.type == "choice":
            for o in t.options.get(iid, []):
                yield [iid, "", "", *blank, o.code, *(idef.text(o.label, lg) for lg in langs), "", "", "", ""]
        else:
            values = list(range(codec.lo, codec.hi + 1))
            scores = score_codes(np.asarray(values), item_scoring(idef, iid))
            for v, s in zip(values, scores, strict=True):
                yield [iid, "", "", *blank, v, *(codec.render(v, lg) for lg in langs), round(float(s), 4),
                       "", "", ""]
        if it.allow_na:
            na = idef.scales[it.scale].na_label if it.scale else None
            yield [iid, "", "", *blank, "NA", *(idef.text(na, lg) if na else codec.render(NA_CODE, lg)
                                                for lg in langs), "", "", "", ""]


def indicator_rows(t: Table) -> Iterator[list[Any]]:
    """The indicator tree, one row per node: its parent, item, labels, weight among its siblings and the source
    of its siblings' weights (given, ahp, equal; derived from data -> no fixed weight)."""
    d = t.definition
    if d.indicators is None:
        return
    langs = list(d.languages)
    lay = layout(d)
    weight: dict[int, tuple[float | None, str]] = {}
    for nd in lay.nodes:
        if not nd.children:
            continue
        wt = fixed_weights(nd, lay.nodes, {})
        source = wt.method if wt is not None else f"derived ({nd.node.derive})"
        for k, c in enumerate(nd.children):
            weight[c] = (None if wt is None else round(float(wt.weights[k]), 6), source)
    yield ["indicator", "path", "parent", "item", *(f"label ({lg})" for lg in langs), "weight", "weight source"]
    for nd in lay.nodes:
        w, src = weight.get(nd.index, (None, ""))
        parent = lay.nodes[nd.parent].id if nd.parent >= 0 else ""
        yield [nd.id, nd.path, parent, nd.item or "", *(d.text(nd.node.label, lg) for lg in langs),
               "" if w is None else w, src]
