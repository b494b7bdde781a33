"""The report's own words (section titles, table heads, glossary, sentence patterns) in Chinese and English.

Labels that come from the survey (items, nodes, brands, waves, options) are taken from the definition in the
chosen language; everything else a reader sees is here, so both languages stay complete and side by side.
Sentence patterns use ``str.format`` fields so that the numbers are always filled in from the analysis.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh", "en")

MONTHS_EN: Final = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December")

STRINGS: Final[dict[str, dict[str, str]]] = {
    # ---------------------------------------------------------------- document furniture
    "report_kind": {"zh": "客户满意度测评报告", "en": "Customer Satisfaction Report"},
    "page_of": {"zh": "第 {page} 页 / 共 {pages} 页", "en": "Page {page} of {pages}"},
    "generated": {"zh": "报告日期", "en": "Report date"},
    "organisation": {"zh": "委托单位", "en": "Organisation"},
    "period": {"zh": "调查期次", "en": "Period"},
    "all_waves": {"zh": "全部期次合并（{waves}）", "en": "All periods pooled ({waves})"},
    "no_waves": {"zh": "未分期次", "en": "Single period"},
    "survey": {"zh": "调查项目", "en": "Survey"},
    "version": {"zh": "问卷版本", "en": "Questionnaire version"},
    "respondents": {"zh": "有效样本", "en": "Valid responses"},
    "contents": {"zh": "目录", "en": "Contents"},
    "not_available": {"zh": "无法计算", "en": "Not available"},
    "comma": {"zh": "，", "en": ", "},
    "reason": {"zh": "原因", "en": "Reason"},
    # ---------------------------------------------------------------- section titles
    "sec_summary": {"zh": "一、执行摘要", "en": "1. Executive summary"},
    "sec_method": {"zh": "二、调查方法", "en": "2. Method"},
    "sec_index": {"zh": "三、满意度指数体系", "en": "3. The satisfaction index"},
    "sec_model": {"zh": "四、结构方程模型（ACSI）", "en": "4. Latent model (ACSI)"},
    "sec_loyalty": {"zh": "五、客户忠诚", "en": "5. Loyalty"},
    "sec_priorities": {"zh": "六、改进优先级", "en": "6. Priorities"},
    "sec_benchmark": {"zh": "七、竞争对标与趋势", "en": "7. Benchmarking and trend"},
    "sec_segments": {"zh": "八、细分群体", "en": "8. Segments"},
    "sec_appendix": {"zh": "附录", "en": "Appendix"},
    # ---------------------------------------------------------------- summary
    "kpi_csi": {"zh": "客户满意度指数（CSI）", "en": "Customer satisfaction index (CSI)"},
    "kpi_rate": {"zh": "满意率", "en": "Satisfaction rate"},
    "kpi_nps": {"zh": "净推荐值（NPS）", "en": "Net Promoter Score (NPS)"},
    "kpi_acsi": {"zh": "ACSI 模型指数", "en": "ACSI model index"},
    "kpi_change": {"zh": "较上期变化", "en": "Change vs previous period"},
    "kpi_rank": {"zh": "竞争排名", "en": "Competitive rank"},
    "vs_prev": {"zh": "对比{prev}", "en": "against {prev}"},
    "dimensions": {"zh": "一级指标概览", "en": "Dimensions at a glance"},
    "change": {"zh": "较上期", "en": "Change"},
    "best_competitor": {"zh": "最强竞品", "en": "Best competitor"},
    "ours": {"zh": "本企业", "en": "Ours"},
    "theirs": {"zh": "竞品", "en": "Theirs"},
    "leader": {"zh": "领先竞品", "en": "Competitor ahead"},
    "ours_minus": {"zh": "本企业 − 竞品", "en": "Ours − theirs"},
    "dims_change_note": {"zh": "较上期：与上一期相比，▲/▼ 表示显著上升/下降，= 表示变化不显著。",
                         "en": "Change: against the previous wave; ▲/▼ a significant rise/fall, = not significant."},
    "sig_legend_short": {"zh": "差值 = 本企业 − 最强竞品；▲/▼ 本企业显著更高/更低；= 差异不显著。",
                         "en": "Difference: ours − best competitor's, ▲/▼ significantly higher/lower."},
    "tests_note": {"zh": "检验规则：主要比较（指数与上一期、与各竞品之差）单独检验，给出未校正的 p 值和差值的置信区间；"
                         "次要比较（各维度和题目）在族内做 Holm 校正；α = {alpha}。",
                   "en": "Tests: index vs previous wave and competitors primary, alone (raw p); dimensions, "
                         "items secondary, Holm; α = {alpha}."},
    "fam_primary": {"zh": "主要比较", "en": "primary"},
    "fam_secondary": {"zh": "次要比较，Holm 校正", "en": "secondary, Holm"},
    "with_family": {"zh": "{verdict}（{family}）", "en": "{verdict} ({family})"},
    "leader_note": {"zh": "“领先竞品”：该题得分高于本企业的竞争对手中的最高分（品牌见第七节）。",
                    "en": "“Competitor ahead”: the best score of a competitor that beats us on the item (brands in "
                          "section 7)."},
    "tree_note": {"zh": "末级题目的权重见第三节表格。", "en": "The item-level weights are in the table of section 3."},
    "findings": {"zh": "主要发现", "en": "Key findings"},
    "priorities_title": {"zh": "优先改进事项", "en": "Priorities"},
    "ci95": {"zh": "95% 置信区间", "en": "95% CI"},
    "ci_level": {"zh": "{level}% 置信区间", "en": "{level}% CI"},
    "rate_def": {"zh": "“{item}”选择前 {boxes} 档的比例", "en": "share in the top {boxes} boxes of “{item}”"},
    "acsi_absent": {"zh": "问卷未定义潜变量模型，未计算 ACSI 模型指数。",
                    "en": "The questionnaire defines no latent model, so no ACSI model index was estimated."},
    "acsi_unavailable": {"zh": "已定义潜变量模型，但本次未能估计：{reason}。",
                         "en": "A latent model is defined but could not be estimated: {reason}."},
    # sentence patterns (findings)
    "f_csi": {"zh": "客户满意度指数为 {value}（{ci_label} {ci}）{change}。",
              "en": "The CSI is {value} ({ci_label} {ci}){change}."},
    "f_change": {"zh": "，较{prev}{diff} 分（{family}：{verdict}，{p}）",
                 "en": ", {diff} points on {prev} ({family}: {verdict}, {p})"},
    "change_ci": {"zh": "差值置信区间 {ci}", "en": "CI {ci}"},
    "f_change_pooled": {"zh": "，为各期合并结果；其中{latest}（{a}）较{prev}（{b}）{diff} 分"
                              "（{family}：{verdict}，{p}；差值置信区间 {dci}）",
                        "en": ", pooled over all periods; {latest} ({a}) is {diff} points on {prev} ({b}) "
                              "({family}: {verdict}, {p}; CI of the difference {dci})"},
    "f_change_none": {"zh": "；{reason}", "en": "; {reason}"},
    "sig": {"zh": "差异显著", "en": "significant"},
    "nsig": {"zh": "差异不显著", "en": "not significant"},
    "up": {"zh": "上升", "en": "up"},
    "down": {"zh": "下降", "en": "down"},
    "f_rank": {"zh": "在 {n} 个品牌中排名第 {rank}；{details}（{family}）。",
               "en": "It ranks {rank} of {n} brands; {details} ({family})."},
    "f_rank_vs": {"zh": "与{brand}（{value}）相比 {diff}，{verdict}",
                  "en": "against {brand} ({value}) {diff}, {verdict}"},
    "f_dims": {"zh": "一级指标中“{best}”得分最高（{best_v}），“{worst}”最低（{worst_v}）。",
               "en": "Among the dimensions, “{best}” scores highest ({best_v}) and “{worst}” lowest ({worst_v})."},
    "f_loyalty": {"zh": "满意率为 {rate}，但仅 {loyal} 的客户处于忠诚带（“{top}”），{defect} 处于叛离带；NPS 为 {nps}"
                        "。",
                  "en": "The satisfaction rate is {rate}, but only {loyal} of customers are in the loyalty zone "
                        "(“{top}”) and {defect} in the defection zone; the NPS is {nps}."},
    "f_loyalty_no_nps": {"zh": "满意率为 {rate}，但仅 {loyal} 的客户处于忠诚带（“{top}”），{defect} 处于叛离带。",
                         "en": "The satisfaction rate is {rate}, but only {loyal} of customers are in the loyalty zone "
                               "(“{top}”) and {defect} in the defection zone."},
    "f_segment": {"zh": "细分群体中，“{seg}”的指数最低（{low}，n = {n}），比“{best}”（{high}）低 {gap} 分（{p}）。",
                  "en": "Among segments, “{seg}” has the lowest index ({low}, n = {n}), {gap} points below "
                        "“{best}” ({high}; {p})."},
    "f_behind": {"zh": "落后于竞争对手的指标：{items}。", "en": "Where a competitor is significantly ahead: {items}."},
    "p_item": {"zh": "优先改进“{item}”：得分 {perf}，重要性排名第 {rank}/{n}（占总重要性的 {imp}），距满分 100 还差 "
                     "{gap} 分{best}{next}。",
               "en": "Improve “{item}”: score {perf}, importance rank {rank} of {n} ({imp} of the total importance), "
                     "{gap} points short of the maximum 100{best}{next}."},
    "p_best": {"zh": "；{brand}为 {value}，领先 {lead} 分", "en": "; {brand} scores {value}, {lead} points ahead"},
    "p_next": {"zh": "（不在“优先改进”象限，按优先度补充）",
               "en": " (outside the improve-first quadrant; next by priority)"},
    "no_findings": {"zh": "没有可用数据，无法形成结论。", "en": "There are no data to draw findings from."},
    "no_priorities": {"zh": "无法确定改进优先级：{reason}。", "en": "Priorities cannot be set: {reason}."},
    # ---------------------------------------------------------------- method
    "sample": {"zh": "样本与数据质量", "en": "Sample and data quality"},
    "n_received": {"zh": "回收问卷", "en": "Responses received"},
    "n_filtered": {"zh": "本报告范围内", "en": "In the scope of this report"},
    "n_excluded": {"zh": "按规则剔除", "en": "Excluded by rule"},
    "n_analysed": {"zh": "有效样本", "en": "Analysed"},
    "channels": {"zh": "回收渠道", "en": "Response channels"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "count": {"zh": "份数", "en": "Count"},
    "share": {"zh": "占比", "en": "Share"},
    "exclusions": {"zh": "数据质量剔除", "en": "Data-quality exclusions"},
    "rule": {"zh": "规则", "en": "Rule"},
    "flagged": {"zh": "标记人数", "en": "Flagged"},
    "flag_speeder": {"zh": "答题过快（用时低于中位数的 {frac}）", "en": "Speeders (time below {frac} of the median)"},
    "flag_straightliner": {"zh": "直线作答（矩阵题全部同一选项）", "en": "Straight-liners (same answer across a grid)"},
    "flag_duplicate": {"zh": "重复问卷", "en": "Duplicates"},
    "excl_note": {"zh": "同一受访者可能同时被多条规则标记，故各行之和可能大于剔除总数。",
                  "en": "A respondent can carry several flags, so the rows may add up to more than the total."},
    "moe": {"zh": "抽样误差", "en": "Margin of error"},
    "moe_text": {"zh": "CSI 的 {level}% 置信区间半宽为 ±{moe} 分（{method}）；满意率的最大抽样误差（p = 50%）为 ±{pmo"
                       "e} 个百分点。",
                 "en": "The CSI's {level}% confidence interval has a half-width of ±{moe} points ({method}); the "
                       "worst-case margin of error for a proportion (p = 50%) is ±{pmoe} percentage points."},
    "ci_method_delta": {"zh": "Delta 方法", "en": "delta method"},
    "weighting": {"zh": "加权", "en": "Weighting"},
    "weighting_none": {"zh": "未使用样本权重，每份有效问卷权重相同。",
                       "en": "No survey weights: every analysed response counts equally."},
    "weighting_yes": {"zh": "使用样本权重；有效样本量（Kish）为 {neff}。",
                      "en": "Survey weights applied; Kish effective sample size {neff}."},
    "tree_weights": {"zh": "指标体系与权重", "en": "The indicator system and its weights"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "weight": {"zh": "权重", "en": "Weight"},
    "weight_source": {"zh": "权重来源", "en": "Weight source"},
    "children_source": {"zh": "下级指标的权重来源", "en": "How its children are weighted"},
    "global_weight": {"zh": "总权重", "en": "Global weight"},
    "ws_given": {"zh": "专家给定", "en": "given"},
    "ws_ahp": {"zh": "层次分析法（CR = {cr}，{ok}）", "en": "AHP (CR = {cr}, {ok})"},
    "ws_ahp_ok": {"zh": "一致", "en": "consistent"},
    "ws_ahp_bad": {"zh": "不一致", "en": "inconsistent"},
    "ws_entropy": {"zh": "熵权法", "en": "entropy"},
    "ws_critic": {"zh": "CRITIC 法", "en": "CRITIC"},
    "ws_regression": {"zh": "回归推导", "en": "derived by regression"},
    "ws_equal": {"zh": "等权", "en": "equal"},
    "ws_override": {"zh": "沿用本品牌权重", "en": "own brand's weights"},
    "scoring_note": {"zh": "各题得分换算为 0–100 分：{scales}。本报告所有 0–100 分的数字（指数及各级指标、题目、"
                           "细分群体、品牌、ACSI 模型指数和 IPMA 表现）都采用这一计分方式。"
                           "反向题（R）先反转；“不适用/不清楚”按缺失处理。",
                     "en": "Every answer is scored 0–100: {scales}. Every 0–100 figure in this report (the index and "
                           "its dimensions, items, segments, brands, the ACSI model index and the IPMA performance) "
                           "uses this scoring. Reverse-coded items (R) are flipped first; “not applicable / don't "
                           "know” counts as missing."},
    "scoring_pom": {"zh": "{points} 级量表（{lo}–{hi}）按 答案 ÷ {hi} × 100 计分（{values}）",
                    "en": "{points}-point scales ({lo}–{hi}) as answer ÷ {hi} × 100 ({values})"},
    "scoring_linear": {"zh": "{points} 级量表（{lo}–{hi}）按 (答案 − {lo}) ÷ {span} × 100 计分（{values}）",
                       "en": "{points}-point scales ({lo}–{hi}) as (answer − {lo}) ÷ {span} × 100 ({values})"},
    "scoring_yes_no": {"zh": "是/否题：是 = 100，否 = 0", "en": "yes/no items: yes = 100, no = 0"},
    "period_note": {"zh": "本报告的统计期次：{period}。第七节的趋势表列出各期结果。",
                    "en": "Period reported: {period}. The trend table in section 7 shows every wave."},
    "period_note_pooled": {"zh": "本报告的统计期次：{period}，各期数据合并计算；第七节的趋势表列出各期结果。",
                           "en": "Period reported: {period}; the waves are pooled. The trend table in section 7 "
                                 "shows every wave."},
    # ---------------------------------------------------------------- index
    "score": {"zh": "得分", "en": "Score"},
    "ci": {"zh": "置信区间", "en": "CI"},
    "level": {"zh": "层级", "en": "Level"},
    "index_chart": {"zh": "各级指标得分（误差线为置信区间）",
                    "en": "Scores by level (error bars: confidence interval)"},
    "renormalised": {"zh": "部分受访者未作答，权重按已答题目重新归一",
                     "en": "weights renormalised over answered items"},
    # ---------------------------------------------------------------- model
    "path_diagram": {"zh": "路径图（路径系数与 R²）", "en": "Path diagram (coefficients and R²)"},
    "paths": {"zh": "路径系数", "en": "Path coefficients"},
    "path": {"zh": "路径", "en": "Path"},
    "coef": {"zh": "系数", "en": "Coefficient"},
    "significance": {"zh": "显著性", "en": "Significance"},
    "quality_criteria": {"zh": "测量质量指标", "en": "Quality criteria"},
    "construct": {"zh": "潜变量", "en": "Construct"},
    "pass": {"zh": "通过", "en": "pass"},
    "flag": {"zh": "需关注", "en": "flag"},
    "ipma": {"zh": "重要性–表现分析（IPMA）", "en": "Importance–performance map (IPMA)"},
    "htmt_title": {"zh": "区分效度（HTMT）", "en": "Discriminant validity (HTMT)"},
    "quality_note": {"zh": "✓ 通过（α、ρ_A、ρ_C ≥ 0.70；AVE ≥ 0.50）· ✗ 需关注；单题潜变量不适用信度与效度判断。",
                     "en": "✓ pass (α, ρ_A, ρ_C ≥ 0.70; AVE ≥ 0.50) · ✗ flag; single-item constructs are not judged."},
    "ci_method_note": {"zh": "置信区间：{method}。", "en": "CI: {method}. "},
    "path_sig_note": {"zh": "✓ 区间不含 0（显著）；✗ 区间含 0。",
                      "en": "✓ the interval excludes 0 (significant); ✗ it includes 0."},
    "ipma_note": {"zh": "重要性：各驱动因素对客户满意度（0–100 分）的总效应；表现：该潜变量的 0–100 分指数。右上为"
                        "优势，左上（重要而表现较低）应优先改进。",
                  "en": "Importance: the driver's total effect on customer satisfaction (0–100 scores); performance: "
                        "the driver's 0–100 index. Top left (important, lower performance) is where to improve "
                        "first."},
    "importance": {"zh": "重要性", "en": "Importance"},
    "performance": {"zh": "表现", "en": "Performance"},
    "model_shape": {"zh": "模型结果格式无法识别（字段：{keys}）。",
                    "en": "The model results are in a format the report does not "
                    "recognise (keys: {keys})."},
    # ---------------------------------------------------------------- loyalty
    "zones": {"zh": "满意–忠诚区间", "en": "Satisfaction–loyalty zones"},
    "zone_defection": {"zh": "叛离带", "en": "Defection zone"},
    "zone_indifference": {"zh": "冷漠带", "en": "Indifference zone"},
    "zone_loyalty": {"zh": "忠诚带", "en": "Loyalty zone"},
    "zone_range": {"zh": "{lo}–{hi} 分", "en": "answers {lo}–{hi}"},
    "zone_single": {"zh": "{lo} 分", "en": "answer {lo}"},
    "zone_note": {"zh": "按“{item}”的答案划分（{scale}）。", "en": "Zones by the answer to “{item}” ({scale})."},
    "range": {"zh": "答案范围", "en": "Range"},
    "quadrants": {"zh": "满意度 × 忠诚度象限", "en": "Satisfaction × loyalty quadrants"},
    "q_loyalists": {"zh": "忠诚者（非常满意、忠诚）", "en": "Loyalists (completely satisfied, loyal)"},
    "q_mercenaries": {"zh": "唯利者（非常满意、不忠诚）", "en": "Mercenaries (completely satisfied, not loyal)"},
    "q_hostages": {"zh": "人质型（未达到非常满意、忠诚）", "en": "Hostages (not completely satisfied, loyal)"},
    "q_defectors": {"zh": "背离者（未达到非常满意、不忠诚）", "en": "Defectors (not completely satisfied, not loyal)"},
    "quadrant_def": {"zh": "按 Jones & Sasser（1995）的划分，“非常满意”指“{sat}”答 {sans}（{slabel}），比满意率（前 "
                           "{boxes} 档）的口径更严；“忠诚”指“{loy}”答 {lans}。n 为各象限人数（共 {n} 人同时回答了"
                           "两题）。",
                     "en": "As in Jones & Sasser (1995), “completely satisfied” means answering {sans} (“{slabel}”) "
                           "to “{sat}”, a stricter cut than the satisfaction rate (top {boxes}); “loyal” means "
                           "answering {lans} to “{loy}”. n: respondents in the quadrant ({n} answered both)."},
    "no_loyalty_item": {"zh": "问卷未指定忠诚度题目，无法划分象限。",
                        "en": "The questionnaire names no loyalty question, so there are no quadrants."},
    "answers_from": {"zh": "{lo} 分及以上", "en": "{lo} or higher"},
    "answer_only": {"zh": "{lo} 分", "en": "{lo}"},
    "nps_none_data": {"zh": "没有可分析的推荐意愿答案，无法计算 NPS。",
                      "en": "There are no recommendation answers to analyse, so no NPS can be computed."},
    "nps_comp": {"zh": "NPS 构成", "en": "NPS composition"},
    "promoters": {"zh": "推荐者（9–10）", "en": "Promoters (9–10)"},
    "passives": {"zh": "被动者（7–8）", "en": "Passives (7–8)"},
    "detractors": {"zh": "贬损者（0–6）", "en": "Detractors (0–6)"},
    "nps_text": {"zh": "NPS = 推荐者 {p} − 贬损者 {d} = {nps}（{ci_label} {ci}，n = {n}）。",
                 "en": "NPS = promoters {p} − detractors {d} = {nps} ({ci_label} {ci}, n = {n})."},
    "no_nps": {"zh": "问卷未设置推荐意愿（NPS）题目。", "en": "The questionnaire has no NPS question."},
    "no_loyalty": {"zh": "问卷未定义忠诚度题目（loyalty），本节无法计算。",
                   "en": "The questionnaire defines no loyalty items, so this section cannot be computed."},
    "group": {"zh": "类别", "en": "Group"},
    # ---------------------------------------------------------------- priorities
    "ipa_chart": {"zh": "重要性–表现象限图（编号见下表）",
                  "en": "Importance–performance quadrants (numbers: see the table)"},
    "ipa_improve_first": {"zh": "优先改进", "en": "Improve first"},
    "ipa_keep_up": {"zh": "继续保持", "en": "Keep up"},
    "ipa_low_priority": {"zh": "次要改进", "en": "Low priority"},
    "ipa_possible_overkill": {"zh": "可能过度投入", "en": "Possible overkill"},
    "improve_list": {"zh": "全部题目按优先度排序（“优先改进”象限的题目以底色标出）",
                     "en": "All items ranked by priority (improve-first items highlighted)"},
    "rank": {"zh": "序号", "en": "No."},
    "imp_head": {"zh": "重要性", "en": "Import\u00adance"},
    "perf_head": {"zh": "表现", "en": "Perfor\u00admance"},
    "item": {"zh": "题目", "en": "Item"},
    "gap": {"zh": "差距", "en": "Gap"},
    "target": {"zh": "目标", "en": "Target"},
    "priority": {"zh": "优先度", "en": "Priority"},
    "quadrant": {"zh": "象限", "en": "Quadrant"},
    "importance_source": {"zh": "重要性来源：{src}；表中重要性为各题占全部题目重要性之和的份额。象限以各题重要性与表现"
                                "的{split}划分。差距 = 满分 100 − 得分；优先度 = 重要性份额 × 差距。",
                          "en": "Importance: {src}, shown as each item's share of the total importance. Quadrants "
                                "split at the {split} importance and performance. Gap = the maximum 100 − the "
                                "score; priority = importance share × gap."},
    "imp_share_axis": {"zh": "重要性份额 (%)", "en": "Importance share (%)"},  # ASCII brackets: the title is rotated
    "reverse_note": {"zh": "R：反向题，计分时已反转（得分越高越好）。",
                     "en": "R: reverse-coded item, flipped when scored (a higher score is better)."},
    "split_mean": {"zh": "均值", "en": "mean"},
    "split_median": {"zh": "中位数", "en": "median"},
    "imp_derived": {"zh": "以“{item}”为因变量的 Johnson 相对权重（R² = {r2}）",
                    "en": "Johnson relative weights on “{item}” (R² = {r2})"},
    "imp_tree": {"zh": "指标体系的末级有效权重", "en": "the effective leaf weights of the index"},
    "none_in_quadrant": {"zh": "没有题目落在“优先改进”象限。", "en": "No item falls in the improve-first quadrant."},
    "vs_best": {"zh": "对标最佳品牌", "en": "Against the best brand"},
    "best_brand": {"zh": "最佳品牌", "en": "Best brand"},
    # ---------------------------------------------------------------- benchmark
    "vs_competitors": {"zh": "与竞争对手对比", "en": "Against competitors"},
    "brand": {"zh": "品牌", "en": "Brand"},
    "own_brand": {"zh": "本企业", "en": "own"},
    "brand_chart": {"zh": "各品牌指数与一级指标（差异显著性见下表）",
                    "en": "Index and dimensions by brand (significance of the differences: see the table)"},
    "sig_legend": {"zh": "差值 = 本企业 − 竞品；▲ 本企业显著更高；▼ 本企业显著更低；= 差异不显著（{test}，α = {alpha}；"
                         "指数为主要比较；维度和题目为次要比较，Holm 校正）。",
                   "en": "Difference = ours − theirs; ▲ we are significantly higher; ▼ significantly lower; = not "
                         "significant ({test}, α = {alpha}; index: primary; dimensions and items: secondary, "
                         "Holm-corrected)."},
    "diff": {"zh": "差值", "en": "Difference"},
    "behind_title": {"zh": "竞争对手显著领先的题目", "en": "Items where a competitor is significantly ahead"},
    "trend": {"zh": "历次调查趋势", "en": "Trend over waves"},
    "wave": {"zh": "期次", "en": "Wave"},
    "trend_chart": {"zh": "各期指数（误差线为置信区间）", "en": "Index by wave (error bars: confidence interval)"},
    "change_table": {"zh": "{a} 与 {b} 对比", "en": "{a} against {b}"},
    "one_brand": {"zh": "问卷只调查了一个品牌，无法进行竞争对标。",
                  "en": "Only one brand was rated, so there is no competitor to compare."},
    "one_wave": {"zh": "仅有一期数据（{waves}），无法计算趋势和期间变化。",
                 "en": "Only one wave has data ({waves}), so no trend or change can be computed."},
    "no_wave_data": {"zh": "尚无任何一期的数据，无法计算趋势和期间变化。",
                     "en": "No wave has data yet, so no trend or change can be computed."},
    "first_wave": {"zh": "{wave}是第一期有数据的调查，没有上一期可供比较。",
                   "en": "{wave} is the first wave with data, so there is no previous period to compare with."},
    "no_waves_defined": {"zh": "问卷未定义调查期次，无法计算趋势。",
                         "en": "The questionnaire defines no waves, so there is no trend."},
    "test_paired": {"zh": "配对 t 检验", "en": "paired t-test"},
    "test_welch": {"zh": "Welch t 检验", "en": "Welch t-test"},
    "selected_wave": {"zh": "本期", "en": "this report"},
    # ---------------------------------------------------------------- segments
    "segment": {"zh": "细分", "en": "Segment"},
    "segment_chart": {"zh": "细分群体指数（误差线为置信区间，虚线为总体）",
                      "en": "Index by segment (error bars: confidence interval; dashed line: overall)"},
    "small_n": {"zh": "样本少于 {min_n}，结果仅供参考", "en": "n below {min_n}: indicative only"},
    "segment_test": {"zh": "组间差异检验（单因素方差分析）：{p}，{verdict}。",
                     "en": "Test of differences between groups (one-way ANOVA): {p}, {verdict}."},
    "segment_no_test": {"zh": "未做组间差异检验：{reason}。", "en": "No test of differences between groups: {reason}."},
    "unknown_segment": {"zh": "未作答", "en": "not answered"},
    "no_segments": {"zh": "问卷没有细分题目，本节无法计算。", "en": "The questionnaire has no segment questions."},
    # ---------------------------------------------------------------- appendix
    "item_table": {"zh": "题目统计", "en": "Item statistics"},
    "mean": {"zh": "均值", "en": "Mean"},
    "sd": {"zh": "标准差", "en": "SD"},
    "top_box": {"zh": "高分档占比", "en": "Top box"},
    "top_rule": {"zh": "口径", "en": "Counted"},
    "yes_rule": {"zh": "答“是”的比例", "en": "share yes"},
    "answers_rule": {"zh": "答 {lo}–{hi}", "en": "answers {lo}–{hi}"},
    "answer_rule": {"zh": "答 {lo}", "en": "answer {lo}"},
    "ci_mean_note": {"zh": "置信区间：量表题为均值（0–100 分）的区间，是/否题为“是”的比例的区间。",
                     "en": "CI: of the mean (0–100) for rating items, of the share yes for yes/no items."},
    "comments": {"zh": "客户原话", "en": "Verbatim comments"},
    "comments_note": {"zh": "有效样本共留下 {total} 条意见（{unique} 种不同内容）。内容相同的意见只列一次，注明总条数及"
                            "出自哪些期次和满意度层；本附录列出其中 {shown} 种：按期次和总体满意度（低/中/高）分层，"
                            "各层按意见数量比例分配名额、以固定种子（{seed}）随机抽取；原文照录。",
                      "en": "Analysed respondents left {total} comments ({unique} distinct). Identical comments are "
                            "listed once, with their total count and the waves and satisfaction bands they came "
                            "from; {shown} are listed: stratified by wave and overall satisfaction (low/mid/high), "
                            "places allocated in proportion to each stratum's comments and drawn at random with a "
                            "fixed seed ({seed}); verbatim."},
    "comments_all": {"zh": "有效样本共留下 {total} 条意见，全部列出（内容相同的只列一次并注明条数），原文照录。",
                     "en": "Analysed respondents left {total} comments; all are listed (identical ones once, with "
                           "their count), verbatim."},
    "times": {"zh": "（{n} 条）", "en": "(×{n})"},
    "no_comments": {"zh": "没有收到文字意见。", "en": "No comments were received."},
    "sat_low": {"zh": "低满意", "en": "low satisfaction"},
    "sat_mid": {"zh": "中等满意", "en": "mid satisfaction"},
    "sat_high": {"zh": "高满意", "en": "high satisfaction"},
    "sat_unknown": {"zh": "满意度未知", "en": "satisfaction unknown"},
    "glossary": {"zh": "术语表", "en": "Glossary"},
    "term": {"zh": "术语", "en": "Term"},
    "definition": {"zh": "含义", "en": "Meaning"},
    # ---------------------------------------------------------------- thin data
    "no_data": {"zh": "没有可分析的问卷（{reason}），以下各节说明哪些结果无法计算。",
                "en": "No responses to analyse ({reason}); the sections below say what cannot be computed."},
    "section_error": {"zh": "本节无法计算：{reason}。", "en": "This section cannot be computed: {reason}."},
}

GLOSSARY: Final[list[dict[str, str]]] = [
    {"zh": "客户满意度指数（CSI）|按指标体系权重对各题 0–100 分得分加权平均得到的综合指数。",
     "en": "Customer satisfaction index (CSI)|The weighted average of the 0–100 item scores over the indicator tree."},
    {"zh": "置信区间|在给定置信水平下包含总体真实值的区间；区间越窄，估计越精确。",
     "en": "Confidence interval (CI)|A range that contains the true population value at the stated confidence level."},
    {"zh": "满意率|总体满意度题选择最高 {boxes} 档{labels}的受访者比例。",
     "en": "Satisfaction rate|The share of respondents in the top {boxes} boxes{labels} of the overall satisfaction "
           "question."},
    {"zh": "净推荐值（NPS）|推荐者（9–10 分）比例减去贬损者（0–6 分）比例，取值 −100 到 100。",
     "en": "Net Promoter Score (NPS)|Promoters (9–10) minus detractors (0–6), in points from −100 to 100."},
    {"zh": "层次分析法（AHP）|由两两比较矩阵的主特征向量确定权重；一致性比率 CR < 0.10 视为一致。",
     "en": "AHP|Weights from the principal eigenvector of a pairwise-comparison matrix; CR < 0.10 is consistent."},
    {"zh": "熵权法|依据各指标数据离散程度客观确定权重的方法。",
     "en": "Entropy weights|Objective weights from how much each indicator varies across respondents."},
    {"zh": "重要性–表现分析（IPA）|按重要性和表现的{split}把题目分为四个象限，“高重要、低表现”者优先改进。",
     "en": "Importance–performance analysis|Items split into four quadrants at the {split} importance and "
           "performance; high importance with low performance is improved first."},
    {"zh": "满意–忠诚区间|按总体满意度分为叛离带、冷漠带、忠诚带（Jones & Sasser 1995）。",
     "en": "Satisfaction–loyalty zones|Defection, indifference and loyalty zones of overall satisfaction "
           "(Jones & Sasser 1995)."},
    {"zh": "显著性（p 值）|差异由抽样误差偶然造成的概率；p < 0.05 视为差异显著。指数与上期、与竞品的主要比较单独检验；"
           "各维度和题目的次要比较在族内做 Holm 校正。",
     "en": "Significance (p-value)|How likely a difference this large is by chance alone; p < 0.05 counts as "
           "significant. The index's primary comparisons (previous wave, competitors) are tested alone; the "
           "secondary ones (dimensions, items) are Holm-corrected within their family."},
    {"zh": "ACSI 模型|以偏最小二乘路径模型（PLS-SEM）估计{constructs}之间关系的模型。",
     "en": "ACSI model|A PLS path model (PLS-SEM) linking {constructs}."},
    {"zh": "R²|模型对潜变量方差的解释比例。", "en": "R²|The share of a construct's variance the model explains."},
    {"zh": "AVE / 组合信度|测量模型的收敛效度与信度指标，通常要求 AVE ≥ 0.5、组合信度 ≥ 0.7。",
     "en": "AVE / composite reliability|Convergent validity and reliability of a construct; usually AVE ≥ 0.5 and "
           "ρ_C ≥ 0.7."},
]


def t(key: str, lang: str, **kw: object) -> str:
    """The string ``key`` in ``lang``, formatted with ``kw``; a missing key is a programming error (KeyError)."""
    s = STRINGS[key][lang]
    return s.format(**kw) if kw else s


def t_or(key: str, lang: str, default: str, **kw: object) -> str:
    """``t(key, lang, **kw)``, or ``default`` when there is no string ``key``: for codes from the analysis (an
    exclusion flag, a weight source, a quadrant) that a newer analysis may add before the report names them."""
    return t(key, lang, **kw) if key in STRINGS else default


def strings(lang: str) -> dict[str, str]:
    """Every string in one language, for the template (``t.sec_summary``)."""
    return {k: v[lang] for k, v in STRINGS.items()}


def glossary(lang: str, *, split: str = "mean", boxes: int = 2, box_labels: list[str] | None = None,
             constructs: list[str] | None = None) -> list[dict[str, str]]:
    """Glossary rows ``{"term", "definition"}`` in one language.

    The entries that depend on the survey are filled in from it, so that the glossary never contradicts the
    report: ``split`` ("mean" or "median") is the priorities' quadrant split, ``boxes`` and ``box_labels`` the
    satisfaction rate's top boxes and their answer labels in this language, ``constructs`` the latent model's
    construct labels (the ACSI's own when the survey has no model).
    """
    quote = "“{}”".format
    sep = "" if lang == "zh" else ", "  # Chinese runs quoted terms together: “满意”“较满意”
    labels = ""
    if box_labels:
        inner = sep.join(quote(x) for x in box_labels)
        labels = f"（{inner}）" if lang == "zh" else f" ({inner})"
    if not constructs:
        constructs = (["顾客预期", "感知质量", "感知价值", "满意度", "抱怨", "忠诚"] if lang == "zh" else
                      ["expectations", "perceived quality", "value", "satisfaction", "complaints", "loyalty"])
    names = "、".join(constructs) if lang == "zh" else ", ".join(constructs[:-1]) + " and " + constructs[-1] \
        if len(constructs) > 1 else constructs[0]
    kw = {"split": t("split_median" if split == "median" else "split_mean", lang), "boxes": boxes, "labels": labels,
          "constructs": names}
    rows = []
    for g in GLOSSARY:
        term, _, meaning = g[lang].partition("|")
        rows.append({"term": term, "definition": meaning.format(**kw)})
    return rows
