"""docs/design.md against the code: every module listed, module-level imports only go down the list."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

LISTING = (ROOT / "docs" / "design.md").read_text("utf-8").split("```")[1]
ORDER = list(dict.fromkeys(m.group(1).replace("/", ".") for m in re.finditer(r"\b((?:kb|web)/\w+)\.py", LISTING)))


def _module_imports(path) -> list[str]:
    """The kb and web modules a file imports at module level (not under TYPE_CHECKING)."""
    found = []
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("kb", "web"):
                found += [f"{node.module}.{a.name}" for a in node.names]
            elif node.module.startswith(("kb.", "web.")):
                found.append(node.module)
    return found


def test_every_module_is_listed():
    modules = {f"kb.{p.stem}" for p in (ROOT / "kb").glob("*.py") if p.stem != "__init__"} | \
        {f"web.{p.stem}" for p in (ROOT / "web").glob("*.py")}
    assert modules - set(ORDER) == set()


def test_module_level_imports_go_down_the_list():
    position = {name: at for at, name in enumerate(ORDER)}
    upward = [(name, imported) for name in ORDER
              for imported in _module_imports(ROOT / (name.replace(".", "/") + ".py"))
              if position.get(imported, -1) > position[name]]
    assert upward == []
