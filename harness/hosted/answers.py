"""Answers of the pages: HTML with safe headers, 303 redirects, error pages.

Takes a page body or a location; gives (status, headers, body) for the fake's dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from .html import notice, page

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]


class PageError(Exception):
    """A page the customer cannot have: the status, a title and a sentence."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def html_answer(body: bytes, status: int = 200) -> Answer:
    return status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                    "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}, body


def redirect(location: str) -> Answer:
    return 303, {"Location": location, "Cache-Control": "no-store",
                 "Content-Type": "text/plain; charset=utf-8"}, b""


def error_page(status: int, title: str, message: str) -> Answer:
    return html_answer(page(title, f"<h1>{title}</h1>{notice(message, error=True)}"), status)
