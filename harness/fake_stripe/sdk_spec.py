"""Every /v1 endpoint the installed stripe-python defines, with its parameters, from its source.

Takes the `stripe` package on disk; gives `SdkRoute`s (HTTP method, path template, the service
method that calls it, and the nested parameter `Shape` of its `stripe.params` TypedDict). Nothing
is hand-written: the services (`stripe/**/_*_service.py`) are read with patterns and the params
modules parsed with `ast`, so the table follows whichever stripe-python is installed.
`sdk_routes()` is cached; a route's parameter shape is read the first time it is needed.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import stripe

_ROOT = Path(stripe.__file__).parent
_SCALARS = {"str", "int", "bool", "float", "Any", "object"}


@dataclass
class Shape:
    """What one parameter accepts once form-decoded: a string, a hash, a list, or several."""

    scalar: bool = False
    keys: dict[str, tuple[bool, Shape]] | None = None  # known keys: name -> (required, shape)
    free: bool = False  # a hash of any keys (metadata)
    item: Shape | None = None  # a list of this
    # What a string must be: any of these kinds ("str", "int", "bool", "float", "any"), or one
    # of `literals` (an enum); "" (unset) is allowed when `emptyable`.
    kinds: set[str] = field(default_factory=set)
    literals: list[str] = field(default_factory=list)
    emptyable: bool = False

    @property
    def required(self) -> list[str]:
        return [k for k, (req, _) in (self.keys or {}).items() if req]


@dataclass(frozen=True)
class SdkRoute:
    method: str  # GET, POST, DELETE
    template: str  # /v1/customers/{customer}
    service: str  # checkout.SessionService
    name: str  # create, retrieve, list_line_items ...
    params_source: tuple[str, str] | None = field(compare=False, hash=False)  # module, class

    @functools.cached_property
    def params(self) -> Shape:
        """The parameter shape, read from the params module the first time it is needed."""
        if self.params_source is None:
            return Shape(keys={})
        return _PARAMS.shape(*self.params_source)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.template)

    def describe(self) -> str:
        return f"{self.method} {self.template}"


def template_pattern(template: str) -> re.Pattern[str]:
    """/v1/customers/{customer} -> a regex with one named group per placeholder."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out += re.escape(template[pos:m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
        pos = m.end()
    return re.compile(out + re.escape(template[pos:]))


def specificity(template: str) -> tuple[int, ...]:
    """Sort key: at each segment a literal beats a placeholder (/customers/search first)."""
    return tuple(1 if part.startswith("{") else 0 for part in template.split("/"))


# The services are generated code; reading them with these patterns is four times faster than
# parsing them (a test checks both readings agree).
_CLASS = re.compile(r"^class (\w+)\(", re.M)
_DEF = re.compile(r"^    def (\w+)\(\n(.*?)(?=^    (?:async )?def |^class |\Z)", re.M | re.S)
_REQUEST = re.compile(r'self\._request\(\s*"(\w+)",\s*"(/v1/[^"]*)".*?base_address="(\w+)"',
                      re.S)
_PARAMS_ARG = re.compile(r'params: (?:Optional\[)?\s*"(\w+Params)"')
_IMPORT = re.compile(r"from (stripe\.params[\w.]*) import (\(.*?\)|\w+)", re.S)


@functools.cache
def sdk_routes() -> tuple[SdkRoute, ...]:
    """Every (method, /v1 path) the SDK's services call, most specific template first."""
    found: dict[tuple[str, str], SdkRoute] = {}
    for path in sorted(_ROOT.rglob("_*_service.py")):
        rel = path.relative_to(_ROOT)
        if rel.parts[0] == "v2":
            continue
        text = path.read_text(encoding="utf-8")
        imports = {name: m.group(1) for m in _IMPORT.finditer(text)
                   for name in re.findall(r"\w+", m.group(2))}
        namespace = ".".join(rel.parts[:-1])
        classes = [(m.start(), m.group(1)) for m in _CLASS.finditer(text)]
        for m in _DEF.finditer(text):
            request = _REQUEST.search(m.group(2))
            if request is None or request.group(3) != "api":
                continue
            cls = [name for at, name in classes if at < m.start()][-1]
            arg = _PARAMS_ARG.search(m.group(2))
            name = arg.group(1) if arg else None
            source = (imports[name], name) if name in imports else None
            service = f"{namespace}.{cls}" if namespace else cls
            route = SdkRoute(request.group(1).upper(), request.group(2), service, m.group(1),
                             source)
            found.setdefault((route.method, route.template), route)
    return tuple(sorted(found.values(), key=lambda r: (specificity(r.template), r.template,
                                                       r.method)))


def find(method: str, path: str) -> tuple[SdkRoute, re.Match[str]] | None:
    """The SDK route a request names, if the SDK defines one."""
    for route in sdk_routes():
        if route.method == method:
            match = route.pattern.fullmatch(path)
            if match is not None:
                return route, match
    return None


@functools.cache
def by_template() -> dict[tuple[str, str], SdkRoute]:
    return {(r.method, r.template): r for r in sdk_routes()}


# -- params TypedDicts ---------------------------------------------------------------------------


class _ParamModules:
    """Parses stripe.params modules on demand and turns their TypedDicts into Shapes."""

    def __init__(self) -> None:
        self._classes: dict[str, dict[str, dict[str, ast.expr]]] = {}
        self._shapes: dict[tuple[str, str], Shape] = {}

    def _module(self, module: str) -> dict[str, dict[str, ast.expr]]:
        if module not in self._classes:
            path = _ROOT.joinpath(*module.split(".")[1:]).with_suffix(".py")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            classes = {}
            for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
                classes[cls.name] = {
                    n.target.id: n.annotation for n in cls.body
                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
            self._classes[module] = classes
        return self._classes[module]

    def shape(self, module: str, name: str) -> Shape:
        key = (module, name)
        if key in self._shapes:
            return self._shapes[key]
        shape = self._shapes[key] = Shape(keys={})
        fields = self._module(module).get(name, {})
        for field_name, annotation in fields.items():
            required, inner = _unwrap_required(annotation)
            assert shape.keys is not None
            shape.keys[field_name] = (required, self._type(module, inner))
        return shape

    def _type(self, module: str, node: ast.expr) -> Shape:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body
        out = Shape()
        for part in _union(node):
            self._merge(out, module, part)
        return out

    def _merge(self, out: Shape, module: str, node: ast.expr) -> None:
        if isinstance(node, ast.Subscript):
            head = ast.unparse(node.value).split(".")[-1]
            if head == "Literal":
                out.scalar = True
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                for elt in elts:
                    value = elt.value if isinstance(elt, ast.Constant) else None
                    if value == "":
                        out.emptyable = True
                    elif value is not None:
                        out.literals.append(str(value))
            elif head == "List":
                out.item = self._type(module, node.slice)
            elif head in ("Dict", "Mapping", "UntypedStripeObject"):
                out.free = True
            else:
                out.scalar = True
        elif isinstance(node, ast.Name) and node.id in self._module(module):
            nested = self.shape(module, node.id)
            out.keys = nested.keys
        elif isinstance(node, ast.Name):
            out.scalar = True
            out.kinds.add(node.id if node.id in ("str", "int", "bool", "float") else "any")
        else:
            out.scalar = True
            out.kinds.add("any")


def _unwrap_required(node: ast.expr) -> tuple[bool, ast.expr]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("NotRequired"):
        return False, node.slice
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("Required"):
        return True, node.slice
    return True, node


def _union(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) + _union(node.right)
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith(("Union",
                                                                              "Optional")):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return [p for e in elts for p in _union(e)]
    return [node]


_PARAMS = _ParamModules()
