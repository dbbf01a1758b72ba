"""Stage 5, targets: the app under test behind one small protocol.

`inprocess` holds the `Target` protocol and the reference app called in-process; `http` any app
over HTTP, started as a process group; `files` reads target files (TOML) into an `HttpTarget`;
`mutants` plants known defects in the reference app for the mutation self-check.
"""

from .inprocess import CaseContext, PortalAnswer, ReferenceTarget, Target

__all__ = ["CaseContext", "PortalAnswer", "ReferenceTarget", "Target"]
