"""A structural edit of a published definition is a new version; the responses to the old one keep their meaning.

Version 2 reorders the options of a segment question and moves an item to an 11-point scale. The old responses
export exactly as they were given (decoded with their own version), and the analyses read them on the current
version's columns: the choice by option code, the rescaled item as missing rather than mixing two scales.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.simulate import simulate
from service.analysis import load_data
from service.responses.importer import import_file
from service.surveys.service import load_ref, publish
from survey_defs import load_template, template_path
from survey_defs.schema import MISSING_CODE

REGION_V1 = """          - code: urban
            label: {zh: 城区, en: "Urban area"}
          - code: suburban
            label: {zh: 郊区, en: "Suburban area"}
          - code: rural
            label: {zh: 农村, en: "Rural area"}
"""
REGION_V2 = """          - code: rural
            label: {zh: 农村, en: "Rural area"}
          - code: urban
            label: {zh: 城区, en: "Urban area"}
          - code: suburban
            label: {zh: 郊区, en: "Suburban area"}
"""
HALL_V1 = "      - id: q_hall\n        scale: sat5\n"
HALL_V2 = "      - id: q_hall\n        scale: nps11\n"


def test_structural_change_keeps_old_responses(client: TestClient, engine: Engine, utility: str, tmp_path: Path,
                                               admin: dict[str, str]) -> None:
    d1 = load_template("utility_csi")
    old = simulate(d1, 60, random_state=5, rate_probability=0.5, na=0.0)
    f = tmp_path / "v1.csv"
    old.to_frame().to_csv(f, index=False)
    assert import_file(engine, load_ref(engine, utility), f).stored == 60
    before = client.get("/api/v1/surveys/utility_csi/export?format=json", headers=admin).json()["responses"]

    text = template_path("utility_csi").read_text(encoding="utf-8")
    assert REGION_V1 in text and HALL_V1 in text
    v2 = text.replace("version: 1", "version: 2", 1).replace(REGION_V1, REGION_V2, 1).replace(HALL_V1, HALL_V2, 1)
    ref2, created = publish(engine, v2, "utility_csi_v2.yaml")
    assert created and ref2.version == 2

    # The export decodes each response with its own version: nothing changed for the old ones.
    after = client.get("/api/v1/surveys/utility_csi/export?format=json", headers=admin).json()["responses"]
    assert after == before and {r["version"] for r in after} == {1}

    # The analyses read them on version 2's columns.
    d2 = ref2.definition
    data = load_data(engine, ref2)
    assert data.n == 60
    j1, j2 = d1.respondent_item_ids.index("q_region"), d2.respondent_item_ids.index("q_region")
    codes1 = [o.code for o in d1.item("q_region").options or []]
    codes2 = [o.code for o in d2.item("q_region").options or []]
    order = np.argsort([str(k) for k in old.respondent_id])
    back = np.argsort([str(k) for k in data.respondent_id])
    was = [codes1[c] for c in old.resp[order, j1]]
    now = [codes2[c] for c in data.resp[back, j2]]
    assert was == now and sorted(set(codes2)) == sorted(set(was) | set(codes2))
    assert any(codes1.index(c) != codes2.index(c) for c in was)  # the integer codes really moved
    k = d2.brand_item_ids.index("q_hall")
    assert (data.brand[:, :, k] == MISSING_CODE).all()  # another scale now: not mixed in
    other = d2.brand_item_ids.index("q_price")
    assert (data.brand[back][:, :, other] == old.brand[order][:, :, d1.brand_item_ids.index("q_price")]).all()
