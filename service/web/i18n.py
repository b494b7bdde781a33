"""Interface strings of the survey pages in Chinese and English, and picking the page language.

Question texts come from the definition; only the chrome (buttons, progress, messages) lives here.
"""

from __future__ import annotations

from survey_defs.schema import SurveyDefinition

LANG_NAMES = {"zh": "中文", "en": "English"}
UI_LANGS = ("zh", "en")

UI: dict[str, dict[str, str]] = {
    "zh": {
        "page_of": "第 {i} / {n} 页",
        "prev": "上一页",
        "next": "下一页",
        "submit": "提交问卷",
        "optional": "（选填）",
        "na": "不适用/不清楚",
        "yes": "是",
        "no": "否",
        "nps_low": "0 = 完全不可能",
        "nps_high": "10 = 非常可能",
        "brands_title": "您了解或使用过的企业",
        "brands_question": "以下哪些企业您了解或使用过？请选择您愿意评价的企业（可多选）。",
        "brands_help": "接下来将请您分别对所选的每一家企业进行评价。",
        "our_brand": "本企业",
        "rating_for": "请就「{brand}」回答以下问题",
        "choose_brand": "请至少选择一家企业",
        "own_required": "请保留对本企业的评价",
        "required": "请回答此题",
        "invalid": "此题的回答无效，请重新选择",
        "errors_title": "还有 {n} 处需要您检查：",
        "colon": "：",
        "errors_other": "其他页面还有未完成的题目，提交前会提示您。",
        "resume_label": "稍后继续：保存此链接即可接着填写",
        "resume_pending": "点击“下一页”后，您的回答会被保存，并在此显示续填链接。",
        "resume_token": "您也可以随时重新打开邀请链接继续填写。",
        "language": "语言",
        "text_max": "最多 5000 字",
        "thanks_title": "感谢您的参与！",
        "thanks_body": "您的问卷已成功提交。您的意见将帮助我们持续改进服务。",
        "already_title": "您已经完成了本问卷",
        "already_body": "感谢您的参与！每份邀请（或每台设备）只能提交一次，本次没有记录新的回答。",
        "closed_title": "本问卷已结束",
        "closed_body": "本次调查已停止收集回答。感谢您的关注！",
        "unknown_token_title": "邀请链接无效",
        "unknown_token_body": "我们没有找到这个邀请链接。请检查链接是否完整，或联系发送邀请的工作人员。",
        "expired_title": "邀请链接已过期",
        "expired_body": "这个邀请链接已经过了有效期。如仍希望参与，请联系发送邀请的工作人员。",
        "token_required_title": "本问卷仅限受邀客户填写",
        "token_required_body": "请使用您收到的专属邀请链接打开本问卷。",
        "token_rejected_title": "邀请链接无法使用",
        "token_rejected_body": "这个邀请链接无法使用。请检查链接是否完整，或联系发送邀请的工作人员。",
        "resume_unknown_title": "续填链接无效",
        "resume_unknown_body": "我们没有找到与这个链接对应的答卷。请重新打开问卷链接开始填写。",
        "not_found_title": "未找到该问卷",
        "not_found_body": "请检查链接是否正确。",
        "csrf_title": "表单已失效",
        "csrf_body": "为保护您的答卷，我们无法接受这次提交。请返回问卷页面重新操作（浏览器需允许本网站使用 Cookie）。",
        "cross_site_title": "无法接受来自其他网站的提交",
        "cross_site_body": "这次提交不是从本问卷页面发出的，因此没有保存任何内容。请直接打开问卷链接填写。",
        "error_title": "暂时无法保存",
        "error_body": "服务暂时繁忙，您的回答没有丢失。请稍后返回问卷页面再次提交。",
        "invalid_title": "请求无效",
        "invalid_body": "请返回问卷页面重新操作。",
        "back_to_survey": "返回问卷",
        "wave_closed_title": "本问卷目前未开放",
        "wave_closed_body": "现在不是本调查收集回答的时间。欢迎在下一轮调查开放后参与，感谢您的关注！",
        "quota_full_title": "感谢您的参与！",
        "quota_full_body": "与您情况相同的受访者名额已经满了，您无需继续作答。感谢您抽出宝贵的时间！",
    },
    "en": {
        "page_of": "Page {i} of {n}",
        "prev": "Previous",
        "next": "Next",
        "submit": "Submit",
        "optional": "(optional)",
        "na": "Not applicable / don't know",
        "yes": "Yes",
        "no": "No",
        "nps_low": "0 = not at all likely",
        "nps_high": "10 = extremely likely",
        "brands_title": "Companies you know",
        "brands_question": "Which of these companies do you know or use? Pick each one you are willing to rate.",
        "brands_help": "You will then rate each company you pick, one at a time.",
        "our_brand": "our company",
        "rating_for": "Please answer about “{brand}”",
        "choose_brand": "Please pick at least one company",
        "own_required": "Please keep rating our company",
        "required": "Please answer this question",
        "invalid": "This answer is not valid; please choose again",
        "errors_title": "Please check {n} answer(s):",
        "colon": ": ",
        "errors_other": "Some questions on other pages are still open; you will be told before submitting.",
        "resume_label": "Continue later: keep this link to pick up where you left off",
        "resume_pending": "Your answers are saved when you press Next; a link to continue later appears here.",
        "resume_token": "You can also reopen your invitation link at any time to continue.",
        "language": "Language",
        "text_max": "Up to 5000 characters",
        "thanks_title": "Thank you!",
        "thanks_body": "Your answers have been submitted. They help us keep improving our service.",
        "already_title": "You have already answered this survey",
        "already_body": "Thank you for taking part! Each invitation (or device) can answer once, so nothing new "
                        "was recorded.",
        "closed_title": "This survey has closed",
        "closed_body": "We are no longer collecting answers for this survey. Thank you for your interest!",
        "unknown_token_title": "This invitation link is not valid",
        "unknown_token_body": "We could not find this invitation. Please check that the link is complete, or "
                              "contact whoever sent it to you.",
        "expired_title": "This invitation has expired",
        "expired_body": "This invitation link is past its closing date. If you would still like to take part, "
                        "please contact whoever sent it to you.",
        "token_required_title": "This survey is by invitation only",
        "token_required_body": "Please open it with the personal invitation link you received.",
        "token_rejected_title": "This invitation link cannot be used",
        "token_rejected_body": "Please check that the link is complete, or contact whoever sent it to you.",
        "resume_unknown_title": "This link to continue is not valid",
        "resume_unknown_body": "We could not find answers for this link. Please open the survey link again to "
                               "start.",
        "not_found_title": "Survey not found",
        "not_found_body": "Please check that the link is correct.",
        "csrf_title": "This form has expired",
        "csrf_body": "To protect your answers we could not accept this submission. Please go back to the survey "
                     "and try again (your browser must allow cookies for this site).",
        "cross_site_title": "Submissions from other websites are not accepted",
        "cross_site_body": "This submission did not come from the survey page, so nothing was saved. Please open "
                           "the survey link directly.",
        "error_title": "We could not save your answers just now",
        "error_body": "The service is busy; nothing you entered is lost. Please go back to the survey and submit "
                      "again in a moment.",
        "invalid_title": "Invalid request",
        "invalid_body": "Please go back to the survey and try again.",
        "back_to_survey": "Back to the survey",
        "wave_closed_title": "This survey is not open now",
        "wave_closed_body": "We are not collecting answers at the moment. You are welcome to take part when the "
                            "next round opens. Thank you for your interest!",
        "quota_full_title": "Thank you for your time!",
        "quota_full_body": "We already have all the answers we need from people in your situation, so there is "
                           "no need to continue. Thank you for your help!",
    },
}

#: Codec messages (English, for API clients) that respondents see in their own words.
MESSAGE_KEYS = {"this item is required": "required"}


def ui(lang: str) -> dict[str, str]:
    return UI.get(lang, UI["en"])


def item_message(msg: str, lang: str) -> str:
    """A validation message as the respondent should read it; anything unexpected becomes a plain 'invalid'."""
    return ui(lang)[MESSAGE_KEYS.get(msg, "invalid")]


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language tags of an Accept-Language header, best first (``zh-CN,zh;q=0.9,en;q=0.8``)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower().split("-")[0]
        if tag and tag != "*" and q > 0:
            ranked.append((-q, pos, tag))
    return [t for _, _, t in sorted(ranked)]


def negotiate(requested: str | None, accept_language: str | None, definition: SurveyDefinition | None) -> str:
    """``?lang=`` if the survey offers it, then the browser's Accept-Language, then the definition's default."""
    offered = [lang for lang in (definition.languages if definition else UI_LANGS) if lang in UI]
    if not offered:
        offered = list(UI_LANGS)
    if requested and requested in offered:
        return requested
    for tag in parse_accept_language(accept_language):
        if tag in offered:
            return tag
    default = definition.default_language if definition else "zh"
    return default if default in offered else offered[0]


def language_choices(definition: SurveyDefinition | None) -> list[tuple[str, str]]:
    langs = [lang for lang in (definition.languages if definition else UI_LANGS) if lang in UI] or list(UI_LANGS)
    return [(lang, LANG_NAMES.get(lang, lang)) for lang in langs]
