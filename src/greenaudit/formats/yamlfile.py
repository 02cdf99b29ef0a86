"""Read the project's hand-edited YAML files with located, one-line errors.

Every YAML file of a workspace (schemas/*, config/config.yaml) is read here, and
only plain trees are accepted: no anchors or aliases (an alias list of a few lines
can stand for billions of nodes once expanded), no merge keys, and no key twice in
one mapping (PyYAML would keep the last one silently). Each refusal names the line
and column. Reading is linear in the file's size.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from greenaudit.formats.csvfile import decode
from greenaudit.errors import InputError, excerpt, shorten
from greenaudit.formats.inputfile import read_input

# libyaml's parser where available: the pure-Python one is much slower on the catalog.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MERGE_TAG = "tag:yaml.org,2002:merge"


def read_text(path: Path) -> str:
    """The file's text; a missing, unreadable, non-regular or non-UTF-8 file is a located
    InputError (inputfile.read_input)."""
    return decode(Path(path), read_input(Path(path)))


def syntax_error(path: Path, exc: yaml.YAMLError) -> InputError:
    """`file:line:column: YAML syntax error: ...` from PyYAML's marks (1-based)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    detail = ""
    if context and context_mark is not None:
        detail = f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return InputError(f"YAML syntax error: {problem}{detail}", file=str(path),
                      line=mark.line + 1 if mark else None,
                      column=mark.column + 1 if mark else None)


def _at(path: Path, mark, message: str) -> InputError:
    return InputError(message, file=str(path), line=mark.line + 1, column=mark.column + 1)


def _refuse_anchors(path: Path, text: str) -> None:
    """The first anchor or alias of the text, as a located error (one pass over events)."""
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise _at(path, event.start_mark, f"alias {excerpt(event.anchor)}; expected "
                      f"plain YAML without anchors or aliases (write the value out)")
        if getattr(event, "anchor", None):
            raise _at(path, event.start_mark, f"anchor {excerpt(event.anchor)}; expected "
                      f"plain YAML without anchors or aliases (write the value out)")


def _check_tree(path: Path, root: yaml.Node, loader) -> None:
    """Refuse duplicate keys and merge keys (iteratively: no recursion on deep trees)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            first: dict[object, int] = {}
            for key, value in node.value:
                if key.tag == MERGE_TAG:
                    raise _at(path, key.start_mark, "merge key '<<'; expected plain YAML "
                              "(write the keys out)")
                if not isinstance(key, yaml.ScalarNode):
                    raise _at(path, key.start_mark, "a key that is a list or mapping; "
                              "expected a plain key")
                try:
                    name = loader.construct_object(key)
                    hash(name)
                except (yaml.YAMLError, TypeError, ValueError):
                    name = (key.tag, key.value)
                if name in first:
                    raise _at(path, key.start_mark, f"duplicate key {excerpt(key.value)} (first "
                              f"on line {first[name]}); expected each key once")
                first[name] = key.start_mark.line + 1
                stack.append(value)


def compose_node(path: Path, text: str | None = None) -> tuple[str, yaml.Node | None]:
    """The text and node tree of a YAML file, checked as above (for readers of nodes)."""
    text = read_text(path) if text is None else text
    try:
        _refuse_anchors(path, text)
        node = yaml.compose(text, Loader=LOADER)
        if node is not None:
            _check_tree(path, node, LOADER(""))
    except yaml.YAMLError as exc:
        raise syntax_error(path, exc) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", file=str(path)) from None
    return text, node


def compose(path: Path, text: str | None = None) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the data of a YAML file, checked as above."""
    _, node = compose_node(path, text)
    if node is None:
        return None, None
    try:
        return node, LOADER("").construct_document(node)
    except yaml.YAMLError as exc:
        raise syntax_error(path, exc) from None
    except ValueError as exc:  # e.g. a YAML 1.1 timestamp that is not a date (2023-02-30)
        raise InputError(f"YAML value error: {shorten(str(exc), 200)}", file=str(path)) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", file=str(path)) from None


def load(path: Path) -> object:
    return compose(path)[1]
