"""Hypothesis draws values from the constants of loaded local modules; a campaign turns that
off so its seed alone decides what it draws."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def without_local_constants() -> Iterator[None]:
    """Hypothesis also draws values from the constants of the local modules loaded so far
    (hypothesis.internal.conjecture.providers), so which modules a program happens to have
    imported (a test suite's, a notebook's) would change the examples a seed gives. A campaign
    draws from none of them: a seed means one campaign from the CLI, pytest or a notebook.
    Should a hypothesis release move that function, the campaign runs unpinned."""
    try:
        from hypothesis.internal.conjecture import providers

        original, empty = providers._get_local_constants, providers.Constants()
    except (ImportError, AttributeError):  # pragma: no cover - another hypothesis layout
        yield
        return
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
