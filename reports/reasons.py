"""Why an analysis could not be computed, in the report's language.

`analytics.analyze` explains every figure it cannot estimate with an English ``reason`` (docs/analytics-json.md:
``{"status": "insufficient_data" | "error", "reason": "..."}``). Those sentences are written for analysts and logs;
a Chinese report must not quote them. This module recognises the reasons the analysis emits (matched on their
stable wording, with the ids they name captured) and says the same thing in Chinese or English, with the survey's
own labels for the items, brands and waves they mention. A reason it does not recognise still gives a plain
sentence: the English text itself in an English report, a generic explanation in a Chinese one (the technical
wording stays in the analysis JSON), so a new analysis message can never put English into a Chinese report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = ["MODEL_NOTES", "REASONS", "explain", "explain_model_note"]

Lookup = Callable[[str], str]

#: (pattern on the analysis' reason, zh, en); named groups are filled in, ``item``/``brand``/``wave`` via labels.
REASONS: Final[list[tuple[re.Pattern[str], str, str]]] = [(re.compile(p), zh, en) for p, zh, en in [
    (r"^no responses to analyse after filters and exclusions",
     "筛选和数据质量剔除后没有可分析的问卷", "no responses are left to analyse after the filters and exclusions"),
    (r"^no responses to analyse", "尚未收到任何问卷", "no responses have been received yet"),
    (r"^waves comparison needs two waves with responses, found (?P<found>.*)$",
     "期间对比需要至少两期有数据的调查", "a comparison of periods needs two waves with data"),
    (r"^0 (complete )?respondents\b", "没有可分析的问卷", "there are no responses to analyse"),
    (r"^(?P<n>\d+) respondents; the PLS path model needs at least (?P<min>\d+)",
     "仅有 {n} 份有效问卷，结构方程模型至少需要 {min} 份", "only {n} responses; the latent model needs at least {min}"),
    (r"^(?P<n>\d+) complete respondents \(casewise deletion, of (?P<all>\d+)\); the PLS path model needs at least "
     r"(?P<min>\d+)", "{all} 份问卷中仅 {n} 份完整作答（按列表删除缺失），结构方程模型至少需要 {min} 份",
     "only {n} of {all} responses are complete (casewise deletion); the latent model needs at least {min}"),
    (r"^the definition has no indicator tree", "问卷未定义指标体系", "the questionnaire defines no indicator tree"),
    (r"^the definition names no overall satisfaction item",
     "问卷未指定总体满意度题目", "the questionnaire names no overall satisfaction question"),
    (r"^no competitor brands rated on per-brand items",
     "没有受访者评价竞争品牌", "no competitor brand was rated"),
    (r"^no index for the own brand", "本企业的满意度指数无法计算", "our own index cannot be computed"),
    (r"^no respondents rated brand '(?P<brand>[^']+)'",
     "没有受访者评价{brand}", "nobody rated {brand}"),
    (r"^no respondents(: cannot compute the index)?$", "没有受访者", "there are no respondents"),
    (r"^no answers to any item of the indicator tree",
     "指标体系中的题目均无人作答", "nobody answered any question of the indicator tree"),
    (r"^indicator node (?P<path>\S+): no answers to any of its items",
     "该指标下的题目均无人作答", "nobody answered any question under this indicator"),
    (r"^item '(?P<item>[^']+)': nobody answered", "“{item}”无人作答", "nobody answered “{item}”"),
    (r"^(item '(?P<item>[^']+)'|NPS): one answer only, no confidence interval",
     "仅有一个答案，无法计算置信区间", "one answer only, so there is no confidence interval"),
    (r"^NPS: nobody answered the recommendation item",
     "推荐意愿题无人作答", "nobody answered the recommendation question"),
    (r"^(?P<what>.+): no answers$", "无人作答", "nobody answered"),
    (r"^segment (?P<item>[^=]+)=(?P<code>\S+): no respondents", "该群体没有受访者", "no respondents in this segment"),
    (r"^segment (?P<item>[^=]+)=(?P<code>\S+): one respondent only",
     "该群体仅有一名受访者", "one respondent only in this segment"),
    (r"^fewer than two segments with at least 2 respondents",
     "至少两个群体各有 2 名以上受访者时才能检验差异", "a test needs two segments with at least 2 respondents each"),
    (r"^(the index is constant in every segment|no variance within segments)",
     "各群体内得分没有差异，无法检验", "the scores do not vary within segments, so there is nothing to test"),
    (r"^node (?P<path>\S+): no scores to compare", "没有可比较的得分", "there are no scores to compare"),
    (r"^paired test needs at least 2 complete pairs", "配对样本不足 2 对，无法检验", "fewer than 2 pairs, so no test"),
    (r"^Welch test needs at least 2 observations per group",
     "每组至少需要 2 个观测值才能检验", "each group needs at least 2 observations for a test"),
    (r"(the differences have no variance|neither group has any variance)",
     "数据没有变异，无法检验", "the data do not vary, so there is nothing to test"),
    (r"^importance-performance: no importance or performance for (?P<items>.+)$",
     "部分题目缺少重要性或表现得分", "some items have no importance or performance"),
    (r"^not computed$", "未计算", "not computed"),
]]

GENERIC: Final = {"insufficient_data": {"zh": "数据不足，无法计算", "en": "there are not enough data"},
                  "error": {"zh": "计算出错（详见分析结果 JSON）", "en": "the analysis failed"}}


def explain(reason: object, lang: str, *, status: str = "insufficient_data", item: Lookup | None = None,
            brand: Lookup | None = None) -> str:
    """The analysis' ``reason`` as a clause in ``lang`` (no final full stop), with the survey's labels.

    ``item``/``brand`` map ids to labels in ``lang``. Unrecognised reasons: the reason itself in English, the
    generic clause for ``status`` in Chinese.
    """
    text = str(reason or "").strip()
    for pattern, zh, en in REASONS:
        m = pattern.search(text)
        if m is None:
            continue
        groups = {k: v or "" for k, v in m.groupdict().items()}
        if item and groups.get("item"):
            groups["item"] = item(groups["item"])
        if brand and groups.get("brand"):
            groups["brand"] = brand(groups["brand"])
        return (zh if lang == "zh" else en).format(**groups)
    generic = GENERIC.get(status, GENERIC["insufficient_data"])
    if lang == "zh" or not text:
        return generic["zh" if lang == "zh" else "en"]
    return text.rstrip(".")


#: The latent model's CI method and warnings (`analytics.acsi`), said in the report's language.
MODEL_NOTES: Final[list[tuple[re.Pattern[str], str, str]]] = [(re.compile(p), zh, en) for p, zh, en in [
    (r"^percentile bootstrap over respondents, (?P<n>\d+) resamples",
     "按受访者重抽样的百分位 Bootstrap 区间（{n} 次）", "percentile bootstrap over respondents ({n} resamples)"),
    (r"^(?P<k>\d+) of (?P<n>\d+) bootstrap resamples failed",
     "{n} 次 Bootstrap 重抽样中有 {k} 次无法估计，已剔除", "{k} of {n} bootstrap resamples failed and were left out"),
    (r"^PLS did not converge in (?P<n>\d+) iterations",
     "PLS 算法在 {n} 次迭代内未收敛，估计结果不可靠", "the PLS algorithm did not converge in {n} iterations; the "
                                                 "estimates are unreliable"),
]]


def explain_model_note(text: object, lang: str) -> str:
    """A latent-model CI method or warning in ``lang``; unrecognised: as given (en) or a generic note (zh)."""
    s = str(text or "").strip()
    for pattern, zh, en in MODEL_NOTES:
        m = pattern.search(s)
        if m is not None:
            return (zh if lang == "zh" else en).format(**m.groupdict())
    return "模型估计有提示信息，详见分析结果 JSON" if lang == "zh" else s.rstrip(".")
