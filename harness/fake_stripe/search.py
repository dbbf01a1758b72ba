"""Stripe's search query language, for the common forms, over rendered objects.

Takes a query (`email:'a@b.test' AND metadata['plan']:'pro'`, `status:'active' OR
status:'past_due'`, `created>1700000000`, `name~'acme'`, `-status:'canceled'`) and a resource's
searchable fields; gives a predicate on rendered objects. Syntax per
https://docs.stripe.com/search#search-query-language: clauses joined by AND or by OR (not both),
`:` exact (case-insensitive for strings), `~` substring (3+ characters), `>`, `<`, `>=`, `<=` on
numbers, `-` negates, `metadata['key']` reads a metadata key, `null` matches an absent value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from . import errors

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>[a-z_\.]+(?:\[(?P<q1>['"])(?P<key>[^'"]*)(?P=q1)\])?)\s*"""
    r"""(?P<op>>=|<=|:|~|>|<)\s*(?P<value>'[^']*'|"[^"]*"|[^\s'"]+)\s*""")
_JOIN = re.compile(r"\s+(AND|OR)\s+")


def _bad(query: str, why: str) -> errors.StripeApiError:
    return errors.invalid(f"Invalid query: {query!r}: {why}. See "
                          "https://stripe.com/docs/search#search-query-language for the "
                          "search query language.", "query")


def parse(query: str, resource: str, fields: set[str]) -> Callable[[dict[str, Any]], bool]:
    """A predicate for one query; refuses fields the resource cannot be searched by."""
    parts = _JOIN.split(query.strip())
    clauses, joins = parts[0::2], set(parts[1::2])
    if len(joins) > 1:
        raise _bad(query, "AND and OR cannot be combined in one query")
    tests = []
    for text in clauses:
        match = _CLAUSE.fullmatch(text)
        if match is None:
            raise _bad(query, f"cannot read the clause {text!r}")
        field = match["field"].split("[")[0]
        if field not in fields:
            raise errors.invalid(
                f"Field `{field}` is an unsupported search field for resource `{resource}`. "
                f"See http://stripe.com/docs/search#query-fields-for-{resource} for a list of "
                "supported fields.", "query")
        tests.append(_clause(match, query))
    if joins == {"OR"}:
        return lambda obj: any(t(obj) for t in tests)
    return lambda obj: all(t(obj) for t in tests)


def _clause(match: re.Match[str], query: str) -> Callable[[dict[str, Any]], bool]:
    field = match["field"].split("[")[0]
    key, op, raw, neg = match["key"], match["op"], match["value"], bool(match["neg"])
    quoted = raw[:1] in ("'", '"')
    value = raw[1:-1] if quoted else raw
    if op == "~" and len(value) < 3:
        raise _bad(query, "a substring match needs at least 3 characters")
    if op in "<>=" and not re.fullmatch(r"-?\d+", value):
        raise _bad(query, f"{field} {op} needs a number")

    def read(obj: dict[str, Any]) -> Any:
        current: Any = obj
        for part in field.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if key is not None:
            current = current.get(key) if isinstance(current, dict) else None
        return current

    def test(obj: dict[str, Any]) -> bool:
        got = read(obj)
        if isinstance(got, dict) and "id" in got:
            got = got["id"]
        if op == ":":
            result = (got is None if value == "null" and not quoted
                      else got is not None and str(got).lower() == value.lower()
                      if not isinstance(got, bool) else str(got).lower() == value.lower())
        elif op == "~":
            result = got is not None and value.lower() in str(got).lower()
        else:
            number = int(value)
            result = isinstance(got, int) and {
                ">": got > number, "<": got < number, ">=": got >= number,
                "<=": got <= number}[op]
        return result != neg

    return test


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def read_page_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("offset:"):
            return int(text[7:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise errors.invalid(f"Invalid page: {token}", "page")
