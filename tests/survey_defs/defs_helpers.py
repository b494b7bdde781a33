"""A small valid definition and helpers to break it in one place and find the line the error must name."""

from __future__ import annotations

from survey_defs import Issue, check_text

MINI = """\
slug: mini
languages: [zh, en]
default_language: zh
title: {zh: 迷你调查, en: Mini survey}
waves:
  - id: w1
    label: {zh: 第一期, en: Wave 1}
  - id: w2
    label: {zh: 第二期, en: Wave 2}
scales:
  sat5:
    points: 5
    labels:
      zh: [不满意, 较不满意, 一般, 较满意, 满意]
      en: [Dissatisfied, Fairly dissatisfied, Neutral, Fairly satisfied, Satisfied]
  nps11:
    points: 11
    min: 0
    scoring: linear
    labels:
      zh: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
      en: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
brands:
  - id: ours
    own: true
    name: {zh: 本公司, en: Us}
  - id: rival
    name: {zh: 对手, en: Rival}
sections:
  - id: rate
    per_brand: true
    page: 1
    title: {zh: 评价, en: Rating}
    items:
      - id: q1
        scale: sat5
        text: {zh: 问题一, en: Question one}
      - id: q2
        scale: sat5
        text: {zh: 问题二, en: Question two}
      - id: q3
        scale: sat5
        allow_na: true
        text: {zh: 问题三, en: Question three}
      - id: q4
        scale: sat5
        text: {zh: 问题四, en: Question four}
      - id: q5
        scale: sat5
        reverse: true
        text: {zh: 问题五, en: Question five}
  - id: overall
    page: 2
    title: {zh: 总体, en: Overall}
    items:
      - id: sat
        scale: sat5
        text: {zh: 总体满意, en: Overall satisfaction}
      - id: rec
        type: nps
        scale: nps11
        text: {zh: 推荐可能性, en: Likelihood to recommend}
      - id: complained
        type: yes_no
        text: {zh: 是否投诉, en: Complained}
      - id: region
        type: choice
        segment: true
        text: {zh: 地区, en: Region}
        options:
          - code: urban
            label: {zh: 城区, en: Urban}
          - code: rural
            label: {zh: 农村, en: Rural}
      - id: comment
        type: text
        required: false
        text: {zh: 意见, en: Comments}
indicators:
  id: csi
  label: {zh: 满意度指数, en: Satisfaction index}
  children:
    - id: quality
      weight: 0.6
      children:
        - {id: n1, item: q1, weight: 0.5}
        - {id: n2, item: q2, weight: 0.5}
    - id: service
      weight: 0.4
      ahp:
        - [1, 3, 5]
        - [1/3, 1, 3]
        - [1/5, 1/3, 1]
      children:
        - {id: n3, item: q3}
        - {id: n4, item: q4}
        - {id: n5, item: q5}
model:
  satisfaction: SAT
  constructs:
    - id: PQ
      items: [q1, q2]
    - id: SAT
      items: [sat]
    - id: LOY
      items: [rec]
  paths:
    - [PQ, SAT]
    - [SAT, LOY]
loyalty:
  satisfaction_item: sat
  nps_item: rec
  defection_max: 2
  loyalty_min: 5
"""


def edit(old: str, new: str, text: str = MINI) -> str:
    """Replace exactly one occurrence, so a test cannot silently edit nothing."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} times"
    return hits[nth - 1]


def issues(text: str) -> list[Issue]:
    return check_text(text, "t.yaml")


def expect(text: str, line: int, fragment: str) -> list[Issue]:
    """Assert an issue containing ``fragment`` at ``line``; return all issues for further checks."""
    found = issues(text)
    hits = [i for i in found if fragment in i.message]
    assert hits, f"no issue containing {fragment!r}; got:\n" + "\n".join(map(str, found))
    assert any(i.line == line for i in hits), f"{fragment!r} expected at line {line}; got:\n" + "\n".join(
        map(str, found)
    )
    return found
