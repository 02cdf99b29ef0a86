"""The package stays in units a reader can hold: no module over 400 lines, no function
over 60 lines or with more than 8 parameters (related ones travel as a dataclass)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "greenaudit"
MODULES = sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_PARAMETERS = 400, 60, 8


def _functions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _parameters(function: ast.FunctionDef) -> int:
    args = function.args
    names = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    count = len(names) + bool(args.vararg) + bool(args.kwarg)
    return count - bool(names and names[0].arg in ("self", "cls"))


def test_the_package_has_modules_to_check():
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SRC)) for p in MODULES])
def test_module_and_functions_are_within_the_limits(path: Path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES
    over = [f"{f.name}: {f.end_lineno - f.lineno + 1} lines, {_parameters(f)} parameters"
            for f in _functions(ast.parse(text))
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
            or _parameters(f) > MAX_PARAMETERS]
    assert not over, over


def test_the_limits_catch_an_oversized_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (function,) = _functions(ast.parse(f"def f(a, b, c, d, e, g, h, i, j):\n{body}\n"))
    assert function.end_lineno - function.lineno + 1 > MAX_FUNCTION_LINES
    assert _parameters(function) == 9
