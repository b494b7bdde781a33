"""A scripted respondent for the survey pages: reads the form's hidden fields and posts pages like a browser."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
NAMES = re.compile(r'name="((?:a|b):[^"]+|brands)"')

BRAND = {
    "q_reliability": "5", "q_voltage": "4", "q_outage_notice": "NA", "q_restore": "4", "q_hall": "4",
    "q_hotline": "3", "q_online": "5", "q_install": "4", "q_complaint_handling": "3", "q_price": "3",
    "q_bill_clear": "4", "q_payment": "5", "q_billing_errors": "2", "q_trust": "4", "q_social": "4",
}


def full_answers(comment: str = "停电通知要更及时") -> dict[str, Any]:
    """Every field of utility_csi as the form names them, rating our brand and Hengyuan."""
    out: dict[str, Any] = {
        "a:q_customer_type": "residential", "a:q_region": "urban", "a:q_usage": "100-300",
        "brands": ["jiangcheng", "hengyuan"],
        "a:q_overall": "4", "a:q_sat_expect": "4", "a:q_sat_ideal": "3",
        "a:q_recommend": "8", "a:q_continue": "5", "a:q_complained": "0",
        "a:q_age": "35-49", "a:q_comment": comment,
    }
    for b in ("jiangcheng", "hengyuan"):
        out.update({f"b:{b}:{k}": v for k, v in BRAND.items()})
    out["b:hengyuan:q_reliability"] = "3"
    return out


class Respondent:
    """One browser tab: the page it is on, the form's hidden fields and its history (cookies: the client's).

    The history holds the address of every page shown, as a browser keeps it: a POST answered with a redirect
    leaves only the address it redirected to. `back` and `forward` reload those addresses (the pages are
    ``Cache-Control: no-store``, so a browser fetches them again too).
    """

    def __init__(self, client: TestClient, slug: str = "utility_csi"):
        self.client, self.slug = client, slug
        self.html = ""
        self.status = 0
        self.hidden: dict[str, str] = {}
        self.history: list[str] = []
        self.at = -1

    def _took(self, r: Any, navigate: bool = True) -> Any:
        self.html, self.status = r.text, r.status_code
        self.hidden = {k: html.unescape(v) for k, v in HIDDEN.findall(r.text)}
        if navigate:
            del self.history[self.at + 1:]
            self.history.append(str(r.url))
            self.at = len(self.history) - 1
        return r

    def open(self, url: str | None = None, **kw: Any) -> Any:
        return self._took(self.client.get(url or f"/s/{self.slug}", **kw))

    def back(self) -> Any:
        assert self.at > 0, "no page to go back to"
        self.at -= 1
        return self._took(self.client.get(self.history[self.at]), navigate=False)

    def forward(self) -> Any:
        assert self.at < len(self.history) - 1, "no page to go forward to"
        self.at += 1
        return self._took(self.client.get(self.history[self.at]), navigate=False)

    @property
    def url(self) -> str:
        return self.history[self.at]

    def fields(self) -> set[str]:
        return set(NAMES.findall(self.html))

    def filled(self) -> dict[str, Any]:
        """What the page shows as answered (checked radios and boxes, textarea text): a browser sends it back."""
        out: dict[str, Any] = {}
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)" checked', self.html):
            if name == "brands":
                out.setdefault(name, []).append(value)
            else:
                out[name] = html.unescape(value)
        for name, body in re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>(.*?)</textarea>', self.html, re.S):
            out[name] = html.unescape(body)
        return out

    def form(self, go: str = "next", answers: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
        """What the browser would send for the current page with whichever of ``answers`` it shows."""
        answers = answers or {}
        data: dict[str, Any] = {**self.hidden, "go": go, **self.filled()}
        data.update({k: v for k, v in answers.items() if k in self.fields()})
        data.update(over)
        return data

    def post(self, go: str = "next", answers: dict[str, Any] | None = None, **over: Any) -> Any:
        """Post the current page with whichever of ``answers`` it shows (as a browser would)."""
        return self.send(self.form(go, answers, **over))

    def send(self, data: dict[str, Any], **kw: Any) -> Any:
        """Post a form (maybe one kept from an earlier page: a replayed POST) and follow the redirect."""
        return self._took(self.client.post(f"/s/{self.slug}", data=data, **kw))

    def complete(self, answers: dict[str, Any] | None = None, max_pages: int = 12) -> Any:
        """Answer page after page until the survey leaves the form (thank-you or a message page)."""
        answers = answers or full_answers()
        for _ in range(max_pages):
            is_last = 'value="submit" class="primary"' in self.html
            r = self.post("submit" if is_last else "next", answers)
            if 'name="draft"' not in r.text:
                return r
            assert r.status_code == 200, (r.status_code, errors(r.text))
        raise AssertionError("the survey did not end")

    @property
    def progress(self) -> str:
        m = re.search(r"<progress[^>]*>", self.html)
        span = re.search(r'<div class="progress">\s*<span>([^<]+)</span>', self.html)
        assert m and span
        return span.group(1)


def errors(page: str) -> dict[str, str]:
    """Item element id -> the error message shown inside that item's fieldset/div."""
    out = {}
    for m in re.finditer(r'<(fieldset|div) class="item[^"]*has-error" id="([^"]+)"(.*?)</\1>', page, re.S):
        msg = re.search(r'<p class="err" id="[^"]+">([^<]*)</p>', m.group(3))
        out[m.group(2)] = msg.group(1) if msg else ""
    return out


def heading(page: str) -> str:
    m = re.search(r"<h1>([^<]*)</h1>", page)
    assert m, page[:500]
    return html.unescape(m.group(1))


def lang_links(page: str) -> dict[str, str]:
    """The language switch of a message page: language code -> link."""
    links = re.findall(r'<a class="lang" href="([^"]+)" lang="(\w+)"', page)
    return {code: html.unescape(href) for href, code in links}


def checked(page: str, name: str) -> list[str]:
    """Values of the checked radios/checkboxes with this field name."""
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)" checked', page)
