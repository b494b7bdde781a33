"""Shared fixtures: a small survey definition built from the schema models, and simulated responses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from analytics.data import ResponseData
from analytics.simulate import simulate
from survey_defs.schema import SurveyDefinition

SAT5 = {"zh": ["不满意", "较不满意", "一般", "较满意", "满意"],
        "en": ["Dissatisfied", "Fairly dissatisfied", "Neutral", "Fairly satisfied", "Satisfied"]}


def make_definition(indicators: dict[str, Any] | None = None, **extra: Any) -> SurveyDefinition:
    """A 3-brand survey: per-brand q1..q5 (q3 allows N/A, q5 reverse-coded), respondent-level overall items."""
    spec: dict[str, Any] = {
        "slug": "mini",
        "title": {"zh": "测试", "en": "Test"},
        "waves": [{"id": "w1", "label": {"en": "W1"}}, {"id": "w2", "label": {"en": "W2"}}],
        "scales": {
            "sat5": {"points": 5, "labels": SAT5, "na_label": {"zh": "不适用", "en": "N/A"}},
            "agree5": {"points": 5, "labels": {"en": ["SD", "D", "N", "A", "SA"]}},
            "ten": {"points": 10, "scoring": "linear", "labels": {"en": [str(i) for i in range(1, 11)]}},
            "nps11": {"points": 11, "min": 0, "scoring": "linear", "top_box": 2,
                      "labels": {"en": [str(i) for i in range(11)]}},
        },
        "sections": [
            {"id": "profile", "title": {"en": "Profile"}, "items": [
                {"id": "region", "type": "choice", "segment": True, "text": {"en": "Region"},
                 "options": [{"code": "north", "label": {"en": "North", "zh": "北"}},
                             {"code": "south", "label": {"en": "South", "zh": "南"}}]},
                {"id": "age", "type": "choice", "segment": True, "text": {"en": "Age"},
                 "options": [{"code": "young", "label": {"en": "Young"}},
                             {"code": "mid", "label": {"en": "Middle"}},
                             {"code": "old", "label": {"en": "Old"}}]},
            ]},
            {"id": "rating", "title": {"en": "Rating"}, "per_brand": True, "items": [
                {"id": "q1", "scale": "sat5", "text": {"en": "Q1"}},
                {"id": "q2", "scale": "sat5", "text": {"en": "Q2"}},
                {"id": "q3", "scale": "sat5", "allow_na": True, "text": {"en": "Q3"}},
                {"id": "q4", "scale": "ten", "text": {"en": "Q4"}},
                {"id": "q5", "scale": "agree5", "reverse": True, "text": {"en": "Q5"}},
            ]},
            {"id": "overall", "title": {"en": "Overall"}, "items": [
                {"id": "sat", "scale": "sat5", "text": {"en": "Overall"}},
                {"id": "loy", "scale": "sat5", "text": {"en": "Stay"}},
                {"id": "rec", "type": "nps", "scale": "nps11", "text": {"en": "Recommend"}},
                {"id": "complained", "type": "yes_no", "text": {"en": "Complained"}},
                {"id": "comment", "type": "text", "required": False, "text": {"en": "Comment"}},
            ]},
        ],
        "brands": [{"id": "a", "own": True, "name": {"en": "A", "zh": "甲"}},
                   {"id": "b", "name": {"en": "B"}}, {"id": "c", "name": {"en": "C"}}],
        "indicators": indicators if indicators is not None else {
            "id": "csi", "children": [
                {"id": "quality", "weight": 0.6, "children": [
                    {"id": "n1", "item": "q1", "weight": 0.5},
                    {"id": "n2", "item": "q2", "weight": 0.3},
                    {"id": "n3", "item": "q3", "weight": 0.2}]},
                {"id": "service", "weight": 0.4, "ahp": [[1, 3], [1 / 3, 1]], "children": [
                    {"id": "n4", "item": "q4"}, {"id": "n5", "item": "q5"}]},
            ]},
        "loyalty": {"satisfaction_item": "sat", "loyalty_item": "loy", "nps_item": "rec",
                    "defection_max": 2, "loyalty_min": 5, "loyalty_high_min": 4},
    }
    spec.update(extra)
    return SurveyDefinition.model_validate(spec)


@pytest.fixture(scope="session")
def definition() -> SurveyDefinition:
    return make_definition()


@pytest.fixture(scope="session")
def sim(definition: SurveyDefinition) -> ResponseData:
    """600 respondents, competitors rated by 80 %, 3 % missing, 5 % N/A on q3, survey weights."""
    return simulate(definition, 600, random_state=1, rate_probability=0.8, missing=0.03, na=0.05, weighted=True)


@pytest.fixture(scope="session")
def complete(definition: SurveyDefinition) -> ResponseData:
    """400 respondents rating every brand, no missing answers, equal weights."""
    return simulate(definition, 400, random_state=2)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
