"""Stripe's error envelope for the fake REST API.

Takes what went wrong (status, type, code, message, param), gives the `{"error": {...}}` body
Stripe sends, shaped so stripe-python raises the same class with the same `code` and `param`
(https://docs.stripe.com/api/errors).
"""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeApiError(Exception):
    """A request the fake refuses as Stripe would; handlers raise it, dispatch renders it."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 logged: bool = True, gap: str | None = None) -> None:
        super().__init__(message)
        # Why the harness could not serve a request Stripe would have served (an endpoint or
        # a parameter the fake lacks, or a bug of its own); None for Stripe's own refusals.
        self.gap = gap
        self.logged = logged  # Stripe links its request log only for requests it attributes
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self, request_id: str | None, created: int) -> dict[str, Any]:
        """The JSON body; keys alphabetical as Stripe sends them, absent ones left out."""
        error: dict[str, Any] = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        if request_id and self.logged:
            error["request_log_url"] = (
                f"https://dashboard.stripe.com/test/logs/{request_id}?t={created}")
        error["type"] = self.type
        return {"error": error}

    def __repr__(self) -> str:
        return (f"StripeApiError({self.status}, {self.message!r}, type={self.type!r}, "
                f"code={self.code!r}, param={self.param!r})")


def missing(param: str) -> StripeApiError:
    return StripeApiError(400, f"Missing required param: {param}.", code="parameter_missing",
                          param=param)


def unknown(param: str) -> StripeApiError:
    return StripeApiError(400, f"Received unknown parameter: {param}",
                          code="parameter_unknown", param=param)


def empty(param: str) -> StripeApiError:
    """Stripe reads an empty string as "unset", which a required field refuses."""
    return StripeApiError(
        400, f"You passed an empty string for '{param}'. We assume empty values are an attempt "
        f"to unset a parameter; however '{param}' cannot be unset. You should remove "
        f"'{param}' from your request or supply a non-empty value.",
        code="parameter_invalid_empty", param=param)


def no_such(noun: str, object_id: str, param: str, *, status: int = 400) -> StripeApiError:
    """A missing object: 404 when the id is in the path, 400 when it is a body parameter."""
    return StripeApiError(status, f"No such {noun}: '{object_id}'", code="resource_missing",
                          param=param)


def invalid(message: str, param: str | None = None, *, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, message, code=code, param=param)


def not_one_of(param: str, choices: list[str] | tuple[str, ...]) -> StripeApiError:
    """A value outside an enum: Stripe lists the choices ("must be one of a, b, or c")."""
    listed = ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
    return invalid(f"Invalid {param}: must be one of {listed}", param)


def unrecognized_url(method: str, path: str, *, gap: str | None = None) -> StripeApiError:
    return StripeApiError(
        404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.", logged=False,
        gap=gap or f"the fake Stripe API does not serve {method} {path}")


def unsupported(param: str, why: str = "") -> StripeApiError:
    """A parameter Stripe accepts but the fake cannot honour: refused, and logged as a gap."""
    return StripeApiError(400, f"Received unknown parameter: {param}", code="parameter_unknown",
                          param=param, gap=f"the fake Stripe API does not support the "
                          f"parameter {param}" + (f" ({why})" if why else ""))


def no_api_key() -> StripeApiError:
    return StripeApiError(
        401, "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we "
        "can help at https://support.stripe.com/.", logged=False)


def invalid_api_key(key: str) -> StripeApiError:
    return StripeApiError(401, f"Invalid API Key provided: {mask_key(key)}", logged=False)


def mask_key(key: str) -> str:
    """sk_test_abcdef1234 -> sk_test_******1234, as Stripe echoes a wrong key."""
    prefix = ""
    for candidate in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"):
        if key.startswith(candidate):
            prefix = candidate
            break
    rest = key[len(prefix):]
    return prefix + "*" * max(len(rest) - 4, 0) + rest[-4:]


def internal(exc: BaseException) -> StripeApiError:
    """A bug in the fake: a 500 that names it (and is re-raised by FakeStripe.check())."""
    return StripeApiError(500, f"An unknown error occurred in the fake Stripe: {exc!r}",
                          type="api_error", gap=f"the fake Stripe API failed: {exc!r}")
