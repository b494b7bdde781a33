"""The console's interface strings in Chinese and English.

Staff pick their language once (remembered in ``staff_user.lang``); pages before sign-in follow ``?lang=`` or
the browser's Accept-Language. Messages of the account rules are English in the code (API clients read them);
``message`` shows the known ones in Chinese.
"""

from __future__ import annotations

from service.web.i18n import parse_accept_language

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

UI: dict[str, dict[str, str]] = {
    "zh": {
        "product": "客户满意度测评",
        "console": "管理控制台",
        "nav_home": "问卷",
        "nav_users": "用户",
        "nav_keys": "API 密钥",
        "nav_audit": "审计日志",
        "nav_surveys_soon": "调查项目",
        "account": "我的账户",
        "logout": "退出登录",
        "language": "语言",
        "login_title": "登录",
        "login_button": "登录",
        "email": "电子邮箱",
        "password": "密码",
        "name": "显示名称",
        "role": "角色",
        "login_refused": "邮箱或密码错误，或尝试次数过多，请稍后再试。",
        "login_required": "请先登录。",
        "setup_title": "创建第一个管理员",
        "setup_intro": "系统中还没有任何用户。请创建第一个管理员账户；之后此页面将不再可用。",
        "setup_button": "创建管理员并登录",
        "password_again": "再次输入密码",
        "password_rule": "至少 10 个字符，且不能与邮箱相同。",
        "passwords_differ": "两次输入的密码不一致",
        "home_title": "问卷",
        "home_intro": "本系统中的全部问卷。",
        "slug": "代码",
        "status": "状态",
        "version": "当前版本",
        "responses": "回答总数",
        "link": "问卷链接",
        "open": "开放",
        "closed": "已关闭",
        "no_surveys": "还没有发布任何问卷。",
        "account_title": "我的账户",
        "signed_in_as": "当前登录",
        "change_password": "修改密码",
        "current_password": "当前密码",
        "new_password": "新密码",
        "save": "保存",
        "password_changed": "密码已修改；您在其他设备上的登录已全部退出。",
        "lang_saved": "语言已保存。",
        "users_title": "用户",
        "create_user": "新建用户",
        "create": "创建",
        "created": "创建时间",
        "state": "状态",
        "active": "正常",
        "disabled": "已停用",
        "disable": "停用",
        "enable": "启用",
        "change_role": "修改角色",
        "user_created": "用户已创建。",
        "user_saved": "已保存。",
        "you": "（您）",
        "role_viewer": "查看者",
        "role_analyst": "分析员",
        "role_admin": "管理员",
        "roles_help": "管理员：问卷、用户与密钥；分析员：数据、分析、报告与导入；查看者：仅看板与已完成的报告。",
        "keys_title": "API 密钥",
        "keys_intro": "供程序调用 API 使用（Authorization: Bearer …）。密钥只在创建时显示一次。",
        "key_name": "用途",
        "prefix": "前缀",
        "create_key": "新建密钥",
        "revoke": "吊销",
        "revoked": "已吊销",
        "key_created": "新密钥（请立即复制保存，之后无法再次查看）：",
        "key_revoked": "密钥已吊销。",
        "no_keys": "还没有 API 密钥。",
        "audit_title": "审计日志",
        "when": "时间",
        "who": "操作人",
        "action": "操作",
        "target": "对象",
        "details": "详情",
        "from": "来源地址",
        "filter": "筛选",
        "all": "全部",
        "user_filter": "操作人邮箱",
        "entries": "共 {n} 条",
        "prev": "上一页",
        "next": "下一页",
        "page_of": "第 {i} / {n} 页",
        "forbidden_title": "无权访问",
        "forbidden_body": "您的角色不能执行此操作。",
        "csrf_title": "表单已失效",
        "csrf_body": "请返回上一页，刷新后重新提交。",
        "not_found_title": "页面不存在",
        "not_found_body": "请检查地址是否正确。",
        "conflict_title": "无法完成",
        "back": "返回",
        "error_in": "{field}：{msg}",
    },
    "en": {
        "product": "Customer Satisfaction Index",
        "console": "Staff console",
        "nav_home": "Surveys",
        "nav_users": "Users",
        "nav_keys": "API keys",
        "nav_audit": "Audit log",
        "nav_surveys_soon": "Survey programme",
        "account": "My account",
        "logout": "Sign out",
        "language": "Language",
        "login_title": "Sign in",
        "login_button": "Sign in",
        "email": "Email",
        "password": "Password",
        "name": "Display name",
        "role": "Role",
        "login_refused": "Email or password wrong, or too many attempts; try again later.",
        "login_required": "Please sign in first.",
        "setup_title": "Create the first admin",
        "setup_intro": "There are no users yet. Create the first admin account; afterwards this page is gone.",
        "setup_button": "Create admin and sign in",
        "password_again": "Password again",
        "password_rule": "At least 10 characters, and not the email address.",
        "passwords_differ": "the two passwords differ",
        "home_title": "Surveys",
        "home_intro": "Every survey in this service.",
        "slug": "Slug",
        "status": "Status",
        "version": "Current version",
        "responses": "Responses",
        "link": "Survey link",
        "open": "open",
        "closed": "closed",
        "no_surveys": "No survey has been published yet.",
        "account_title": "My account",
        "signed_in_as": "Signed in as",
        "change_password": "Change password",
        "current_password": "Current password",
        "new_password": "New password",
        "save": "Save",
        "password_changed": "Password changed; you were signed out everywhere else.",
        "lang_saved": "Language saved.",
        "users_title": "Users",
        "create_user": "New user",
        "create": "Create",
        "created": "Created",
        "state": "State",
        "active": "active",
        "disabled": "disabled",
        "disable": "Disable",
        "enable": "Enable",
        "change_role": "Change role",
        "user_created": "User created.",
        "user_saved": "Saved.",
        "you": " (you)",
        "role_viewer": "viewer",
        "role_analyst": "analyst",
        "role_admin": "admin",
        "roles_help": "admin: surveys, users and keys; analyst: data, analysis, reports, imports; viewer: "
                      "dashboards and finished reports only.",
        "keys_title": "API keys",
        "keys_intro": "For programs calling the API (Authorization: Bearer …). A key is shown once, when it is "
                      "created.",
        "key_name": "Used for",
        "prefix": "Prefix",
        "create_key": "New key",
        "revoke": "Revoke",
        "revoked": "revoked",
        "key_created": "New key (copy it now; it cannot be shown again):",
        "key_revoked": "Key revoked.",
        "no_keys": "No API keys yet.",
        "audit_title": "Audit log",
        "when": "When",
        "who": "Who",
        "action": "Action",
        "target": "Target",
        "details": "Details",
        "from": "From",
        "filter": "Filter",
        "all": "all",
        "user_filter": "Actor email",
        "entries": "{n} entries",
        "prev": "Previous",
        "next": "Next",
        "page_of": "Page {i} of {n}",
        "forbidden_title": "Not allowed",
        "forbidden_body": "Your role cannot do this.",
        "csrf_title": "This form has expired",
        "csrf_body": "Go back, reload the page and submit again.",
        "not_found_title": "Page not found",
        "not_found_body": "Please check the address.",
        "conflict_title": "Could not be done",
        "back": "Back",
        "error_in": "{field}: {msg}",
    },
}

#: Chinese for the English messages of service/accounts (anything else is shown as it is).
MESSAGES_ZH = {
    "an email address is required": "请填写电子邮箱",
    "not an email address (name@example.org)": "不是有效的电子邮箱（例如 name@example.org）",
    "must be one line": "只能是一行",
    "at least 10 characters": "至少 10 个字符",
    "at most 256 characters": "最多 256 个字符",
    "at most 128 characters": "最多 128 个字符",
    "must not be the email address": "不能与邮箱相同",
    "the current password is wrong": "当前密码不正确",
    "the two new passwords differ": "两次输入的新密码不一致",
    "the two passwords differ": "两次输入的密码不一致",
    "the last active admin cannot lose the admin role": "唯一的管理员不能改为其他角色",
    "the last active admin cannot be disabled": "唯一的管理员不能被停用",
    "you cannot disable your own account": "不能停用自己的账户",
}

FIELD_KEYS = {"email": "email", "password": "password", "password2": "password_again", "name": "name",
              "role": "role", "current": "current_password", "new": "new_password", "again": "password_again",
              "lang": "language", "user_id": "users_title"}


def ui(lang: str) -> dict[str, str]:
    return UI.get(lang, UI["en"])


def message(msg: str, lang: str) -> str:
    if lang == "zh":
        if msg.startswith("a user with the email "):
            return f"邮箱 {msg.removeprefix('a user with the email ').removesuffix(' exists')} 已被使用"
        return MESSAGES_ZH.get(msg, msg)
    return msg


def field_error(field: str, msg: str, lang: str) -> str:
    t = ui(lang)
    label = t.get(FIELD_KEYS.get(field, ""), field)
    return t["error_in"].format(field=label, msg=message(msg, lang))


def pick(param: str | None, accept_language: str | None) -> str:
    """The language of a page before sign-in: ``?lang=`` if known, else the browser's first known, else zh."""
    if param in LANGS:
        return param
    for tag in parse_accept_language(accept_language):
        if tag in LANGS:
            return tag
    return "zh"
