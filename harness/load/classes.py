"""Which user classes a locustfile defines, read from its source: locust is not imported here.

A scenario's `load.users` names classes of the client's locustfile (or of the built-in one). A
name the file does not have used to surface only after the whole stack had started, as "no
request log to read" with the cause in logs/locust.log; `harness validate` and `harness run`
check it first, with this.

    missing_user_classes(Path("examples/custom_load/load.py"), ["FrontDesk", "Typo"])
    -> "load.users names Typo, which examples/custom_load/load.py does not define ..."

The names a file binds at its top level count (classes, imports, assignments): a class imported
from another module is as good as one defined in the file. Whether it really is a locust user
class only locust can tell, in its own process.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def top_level_names(locustfile: Path) -> set[str]:
    """Names the file binds at its top level; OSError or SyntaxError if it cannot be read."""
    tree = ast.parse(locustfile.read_text(encoding="utf-8"), filename=str(locustfile))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def missing_user_classes(locustfile: Path, wanted: Iterable[str]) -> str | None:
    """Why `wanted` cannot all run from `locustfile` (one line), or None if they can."""
    try:
        names = top_level_names(locustfile)
    except OSError as exc:
        return f"the locustfile {locustfile} cannot be read: {exc.strerror or exc}"
    except SyntaxError as exc:
        return f"the locustfile {locustfile} is not valid Python (line {exc.lineno}): {exc.msg}"
    missing = [name for name in wanted if name not in names]
    if not missing:
        return None
    classes = sorted(n for n in names if n[:1].isupper())
    defined = ", ".join(classes) if classes else "no class"
    return (
        f"load.users names {', '.join(missing)}, which {locustfile} does not define (it has: "
        f"{defined}); fix the name in load.users or add the class to the locustfile"
    )
