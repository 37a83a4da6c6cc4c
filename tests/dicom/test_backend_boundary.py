"""Only the backend package touches pydicom internals; verify/ does not even import it.

The speed code relies on pydicom's private layout, which may change in any minor
release: keeping all of it in :mod:`medanon.dicom.backend` keeps the version bound
meaningful (everything else is public pydicom, whatever its version) and lets the
general path be plain pydicom. Private attributes cannot be known statically on every
object, so the rule is practical: outside the backend, no private pydicom module, no
private name imported from pydicom, no private pydicom attribute (the names pydicom's
own classes keep private, on anything but ``self``), no ``__dict__``, ``vars()`` or
``__new__`` on objects in a module that uses pydicom.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom import charset, dataelem, dataset, filebase, multival, sequence, tag, valuerep

SRC = Path(__file__).parents[2] / "src"
PACKAGE = SRC / "medanon"
BACKEND = PACKAGE / "dicom" / "backend"
VERIFY = PACKAGE / "verify"
#: pydicom modules whose contents are all internal helpers.
INTERNAL_MODULES = frozenset({"pydicom.fileutil"})
#: Private attributes medanon's speed code relies on (always checked).
KNOWN_PRIVATE = frozenset({"_dict", "_value", "_parent_encoding", "_character_set",
                           "_pixel_array", "_pixel_id", "_read_charset", "_read_implicit",
                           "_read_little", "_set_pixel_representation", "_private_blocks"})
#: The public API of named tuples (RawDataElement is one), underscored against clashes.
NAMED_TUPLE_API = frozenset({"_asdict", "_fields", "_field_defaults", "_make", "_replace"})
#: Owners whose own private attributes are theirs to touch.
OWN = frozenset({"self", "cls"})


def _pydicom_private_names() -> frozenset[str]:
    """The single-underscore names of pydicom's element, dataset and value classes."""
    names: set[str] = set(KNOWN_PRIVATE)
    classes: list[type] = []
    for module in (charset, dataelem, dataset, filebase, multival, sequence, tag, valuerep):
        classes += [value for _name, value in inspect.getmembers(module, inspect.isclass)
                    if value.__module__.startswith("pydicom")]
    for cls in classes:
        names |= {name for klass in cls.__mro__ if klass.__module__.startswith("pydicom")
                  for name in vars(klass)}
    names |= set(vars(dataset.Dataset())) | set(vars(dataelem.DataElement(0x00100010, "PN", "")))
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__")
                     and not n.endswith("_") and n not in NAMED_TUPLE_API)


PRIVATE_NAMES = _pydicom_private_names()


def violations(source: str) -> list[str]:
    """What in ``source`` (one module's text) touches pydicom internals, one line each."""
    tree = ast.parse(source)
    pydicom_names = _pydicom_bindings(tree)
    uses_pydicom = bool(pydicom_names)
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [f"{line}: import {a.name}" for a in node.names if _internal_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "pydicom":
            if _internal_module(node.module):
                found.append(f"{line}: from {node.module} import ...")
            found += [f"{line}: from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and _internal_attribute(node, pydicom_names):
            found.append(f"{line}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if uses_pydicom and node.func.id == "vars" and node.args \
                    and not (isinstance(node.args[0], ast.Name) and node.args[0].id in OWN):
                found.append(f"{line}: vars()")
            if node.func.id == "getattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value in PRIVATE_NAMES:
                found.append(f"{line}: getattr {node.args[1].value}")
    return found


def _internal_attribute(node: ast.Attribute, pydicom_names: frozenset[str]) -> bool:
    """A private pydicom attribute, or an object's state, read on anything but ``self``."""
    if isinstance(node.value, ast.Name) and node.value.id in OWN:
        return False
    name = node.attr
    if name in ("__dict__", "__new__"):
        return bool(pydicom_names) and not _is_super(node.value)
    return name.startswith("_") and not name.startswith("__") and (
        name in PRIVATE_NAMES or _root(node.value) in pydicom_names)


def _internal_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "pydicom" and (name in INTERNAL_MODULES
                                      or any(p.startswith("_") for p in parts[1:]))


def _pydicom_bindings(tree: ast.Module) -> frozenset[str]:
    """The local names bound to pydicom modules or to names imported from pydicom."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names
                      if a.name.split(".")[0] == "pydicom"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "pydicom":
            names |= {a.asname or a.name for a in node.names}
    return frozenset(names)


def _root(node: ast.expr) -> str | None:
    """The name an attribute chain starts from (``pydicom`` in ``pydicom.config.x``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "super"


def _modules(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("*.py"))


def test_no_module_outside_the_backend_touches_pydicom_internals() -> None:
    outside = [path for path in _modules(PACKAGE) if BACKEND not in path.parents]
    found = {str(path.relative_to(SRC)): hits for path in outside
             if (hits := violations(path.read_text(encoding="utf-8")))}
    assert not found, found
    assert len(outside) > 100  # the whole package was read


def test_the_backend_is_where_the_internals_are() -> None:
    inside = [path for path in _modules(BACKEND)]
    touching = {path.name for path in inside if violations(path.read_text(encoding="utf-8"))}
    assert {"datasets.py", "encode.py", "peek.py", "sequences.py", "actions.py",
            "fastread.py"} <= touching  # the checker sees what the backend does


@pytest.mark.parametrize(("source", "expected"), [
    ("from pydicom._dicom_dict import DicomDictionary\n", "1: from pydicom._dicom_dict import"),
    ("import pydicom.fileutil\n", "1: import pydicom.fileutil"),
    ("from pydicom.filereader import _read_file_meta_info\n",
     "1: from pydicom.filereader import _read_file_meta_info"),
    ("from pydicom.dataset import Dataset\ndef f(ds: Dataset):\n    return ds._dict\n",
     "3: ._dict"),
    ("def f(element):\n    return element._value\n", "2: ._value"),
    ("def f(ds):\n    return ds._character_set\n", "2: ._character_set"),
    ("import pydicom\nx = pydicom.config._use_future\n", "2: ._use_future"),
    ("from pydicom import config\nx = config._use_future\n", "2: ._use_future"),
    ("from pydicom.dataset import Dataset\ndef f(ds):\n    return ds.__dict__\n",
     "3: .__dict__"),
    ("from pydicom.dataset import Dataset\ndef f(ds):\n    return vars(ds)\n", "3: vars()"),
    ("from pydicom.dataset import Dataset\nnew = Dataset.__new__(Dataset)\n", "2: .__new__"),
    ("def f(ds):\n    return getattr(ds, '_parent_encoding')\n",
     "2: getattr _parent_encoding"),
])
def test_the_checker_finds_a_planted_violation(source: str, expected: str) -> None:
    assert any(hit.startswith(expected) for hit in violations(source)), violations(source)


def test_the_checker_lets_public_pydicom_and_own_attributes_pass() -> None:
    source = ("import pydicom\nfrom pydicom.dataset import Dataset\n"
              "from pydicom.filereader import read_file_meta_info\n"
              "class A:\n    def __init__(self):\n        self._dict = {}\n"
              "    def state(self):\n        return vars(self), self.__dict__\n"
              "def f(ds: Dataset):\n"
              "    return ds.items(), ds.get_item(0x10), ds.original_encoding\n")
    assert violations(source) == []
    assert violations("def f(report):\n    return report.__dict__\n") == []  # no pydicom here


def _imports(path: Path) -> set[str]:
    """The medanon modules ``path`` imports, anywhere in it (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("medanon")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("medanon"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _source_of(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_verify_reads_outputs_without_the_backend() -> None:
    """verify/ judges the outputs with plain public pydicom: it never reaches the backend."""
    pending = [f"medanon.verify.{p.relative_to(VERIFY).with_suffix('').as_posix()}"
               .replace("/", ".").removesuffix(".__init__") for p in _modules(VERIFY)]
    seen: set[str] = set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _source_of(module)
        if path is not None:
            pending += sorted(_imports(path))
    reached = sorted(m for m in seen if m.startswith("medanon.dicom.backend"))
    assert not reached, reached
    assert "medanon.verify.structure" in seen and "medanon.verify.sources" in seen
    assert pydicom.__version__  # the public pydicom verify uses
