"""Load a YAML file into a pydantic model, with errors that name the file, line, field and a fix.

    scenario = load_model(Path("scenarios/bpjs-outage.yaml"), Scenario)

Every problem becomes one line, `path:line:col: field.path: what is wrong; hint`, collected into
one InvalidFileError (a UsageError, exit 2). YAML is read with ruamel.yaml's round-trip loader
because it keeps the position of every key and value; the tree is then turned into plain Python
values (ruamel's scalar subclasses would let `true` pass as the integer 1) before validation.

Data merged from several files (a scenario's `extends:`) is validated once, with `origins` naming
the file and tree each top-level key came from, so that a problem is still reported in the file,
and at the line, where it was written.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from harness.errors import UsageError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
class FileProblem:
    """One thing wrong in a file, at a line (1-based) when known."""

    path: Path
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class InvalidFileError(UsageError):
    """A scenario or client file that does not validate: one line per problem."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True, kw_only=True)
class Origin:
    """The file a top-level key of merged data was written in, with that file's ruamel tree."""

    path: Path
    node: Any
    hint: str = ""
    """Added to the message of every problem found there (e.g. how to replace the key)."""


Origins = Mapping[str, Origin]
"""Top-level key -> where it was written; keys not in it were written in the file validated."""


@dataclass(frozen=True, kw_only=True)
class Located:
    """A problem found after validation (a cross-field rule), by its location in the data."""

    loc: Loc
    message: str


# --- reading YAML --------------------------------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, Any]:
    """(plain data, ruamel node tree) of `path`; InvalidFileError for unreadable or bad YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidFileError([_problem(path, None, "", "no such file; check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFileError([_problem(path, None, "", f"cannot read it: {exc}")]) from None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InvalidFileError(
            [_problem(path, line, "", "a key appears twice in one mapping; keep one")]
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or exc.context or "malformed YAML").strip()
        raise InvalidFileError([_problem(path, line, "", f"not valid YAML: {what}")]) from None
    except YAMLError as exc:
        raise InvalidFileError([_problem(path, None, "", f"not valid YAML: {exc}")]) from None
    if node is None:
        raise InvalidFileError([_problem(path, 1, "", "the file is empty")])
    return to_plain(node), node


def to_plain(node: Any) -> Any:
    """ruamel's round-trip tree as plain dict/list/str/int/float/bool/None."""
    if isinstance(node, Mapping):
        return {str(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _problem(path: Path, line: int | None, field: str, message: str) -> FileProblem:
    return FileProblem(path=path, line=line, column=None, field=field, message=message)


# --- validating ----------------------------------------------------------------------------------


def validate_data(
    model: type[M],
    data: Any,
    *,
    node: Any,
    path: Path,
    context: Mapping[str, Any] | None = None,
    origins: Origins | None = None,
) -> M:
    """`model` validated from `data`; InvalidFileError naming every problem by line and field.

    `origins` says which file each top-level key of merged data came from (see Origin).
    """
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        here = Origin(path=path, node=node)
        problems = [
            _from_pydantic(model, error, origin=_origin_of(error["loc"], here, origins))
            for error in exc.errors()
        ]
        raise InvalidFileError(_unique(problems)) from None


def problems_at(
    located: Iterable[Located], *, node: Any, path: Path, origins: Origins | None = None
) -> list[FileProblem]:
    """File problems for cross-field rules found by location."""
    here = Origin(path=path, node=node)
    out = []
    for item in located:
        origin = _origin_of(item.loc, here, origins)
        line, column, field = locate(origin.node, item.loc)
        out.append(
            FileProblem(
                path=origin.path,
                line=line,
                column=column,
                field=field,
                message=item.message + origin.hint,
            )
        )
    return out


def _origin_of(loc: Sequence[str | int], here: Origin, origins: Origins | None) -> Origin:
    if not loc or not origins:
        return here
    return origins.get(str(loc[0]), here)


def load_model(path: Path, model: type[M], *, context: Mapping[str, Any] | None = None) -> M:
    data, node = read_yaml(path)
    return validate_data(model, data, node=node, path=path, context=context)


def _unique(problems: list[FileProblem]) -> list[FileProblem]:
    seen: set[str] = set()
    out = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            out.append(problem)
    return out


def locate(node: Any, loc: Loc, *, key_of_last: bool = False) -> tuple[int | None, int | None, str]:
    """(line, column, dotted field) of `loc` in the ruamel tree.

    Parts of `loc` that are not keys of the data (pydantic's union tags, such as a fault's kind)
    are skipped. With `key_of_last`, the position is the last key's own, not its value's.
    """
    line: int | None = None
    column: int | None = None
    field_parts: list[str] = []
    current = node
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, CommentedMap) and not last and current.get("kind") == part:
            continue  # a discriminated union's tag (the fault's kind), not a key of the file
        if isinstance(current, CommentedMap) and isinstance(part, str) and part in current:
            position = current.lc.key(part) if (last and key_of_last) else current.lc.value(part)
            line, column = position[0] + 1, position[1] + 1
            field_parts.append(part)
            current = current[part]
        elif isinstance(current, CommentedSeq) and isinstance(part, int) and part < len(current):
            position = current.lc.item(part)
            line, column = position[0] + 1, position[1] + 1
            field_parts.append(f"[{part}]")
            current = current[part]
        else:
            if line is None and isinstance(current, CommentedMap | CommentedSeq):
                line, column = current.lc.line + 1, current.lc.col + 1
            if isinstance(part, int):
                field_parts.append(f"[{part}]")
            elif last:
                field_parts.append(part)
            # else: a union tag, not a key of the file
    return line, column, _dotted(field_parts)


def _dotted(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text += part if part.startswith("[") or not text else f".{part}"
    return text


def _from_pydantic(model: type[BaseModel], error: ErrorDetails, *, origin: Origin) -> FileProblem:
    node = origin.node
    kind = error["type"]
    loc: Loc = tuple(error["loc"])
    ctx = error.get("ctx", {})
    value = error.get("input")
    if kind == "extra_forbidden":
        line, column, field = locate(node, loc, key_of_last=True)
        allowed = allowed_keys(model, loc[:-1])
        message = f"unknown key {loc[-1]!r}" + _suggest(str(loc[-1]), allowed)
    elif kind == "missing":
        line, column, field = locate(node, loc)
        message = f"missing required key {loc[-1]!r}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str(ctx.get("discriminator", "'kind'")).strip("'\"")
        line, column, field = locate(node, (*loc, discriminator))
        expected = _quoted(str(ctx.get("expected_tags", "")))
        if kind == "union_tag_not_found":
            message = f"missing required key {discriminator!r}; allowed: {', '.join(expected)}"
        else:
            tag = str(ctx.get("tag"))
            message = f"unknown {discriminator} {tag!r}" + _suggest(tag, expected)
    elif kind in ("literal_error", "enum"):
        line, column, field = locate(node, loc)
        expected = _quoted(str(ctx.get("expected", "")))
        message = f"{value!r} is not allowed" + _suggest(str(value), expected)
    elif kind in ("value_error", "assertion_error"):
        line, column, field = locate(node, loc)
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    else:
        line, column, field = locate(node, loc)
        message = f"{_lower_first(str(error['msg']))} (got {value!r})"
    return FileProblem(
        path=origin.path, line=line, column=column, field=field, message=message + origin.hint
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text) or [text]


def _suggest(word: str, allowed: Sequence[str]) -> str:
    if not allowed:
        return ""
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}? allowed: " if close else "; allowed: "
    return hint + ", ".join(allowed)


# --- which keys a location allows ----------------------------------------------------------------


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model accepts at `loc` (a path through the data), or [] if unknown."""
    target = _type_at(model, loc)
    if isinstance(target, type) and issubclass(target, BaseModel):
        keys = [info.alias or name for name, info in target.model_fields.items()]
        return sorted(keys, key=lambda key: key != "kind")  # the kind first, then in order
    return []


def _type_at(tp: Any, loc: Loc) -> Any:
    for part in loc:
        tp, consumed = _resolve_union(tp, part)
        if consumed:
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next(
                (info for name, info in tp.model_fields.items() if part in (name, info.alias)),
                None,
            )
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (tuple, list) and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp, _ = _resolve_union(tp, None)
    return tp


def _resolve_union(tp: Any, part: str | int | None) -> tuple[Any, bool]:
    """Unwrap Annotated and unions down to the type `part` applies to: (type, part was a tag?)."""
    for _ in range(10):  # nesting depth of unions in our models is small; bounded anyway
        tp = _strip(tp)
        if get_origin(tp) not in (Union, types.UnionType):
            return tp, False
        members = [arg for arg in get_args(tp) if arg is not type(None)]
        for member in members:
            tags = [m.tag for m in getattr(member, "__metadata__", ()) if isinstance(m, Tag)]
            kind = _kind_tags(_strip(member))
            if part is not None and (part in tags or part in kind):
                return _strip(member), True
        models = [m for m in members if _is_model(_strip(m))]
        if len(models) == 1:
            tp = models[0]
        elif len(members) == 1:
            tp = members[0]
        else:
            return None, False
    return None, False


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _kind_tags(tp: Any) -> tuple[Any, ...]:
    if _is_model(tp) and "kind" in tp.model_fields:
        return get_args(tp.model_fields["kind"].annotation)
    return ()


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp
