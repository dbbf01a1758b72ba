"""The `portal-harness` command: one module per command, each a thin front over the library."""

from .main import main

__all__ = ["main"]
