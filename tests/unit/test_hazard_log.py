"""docs/safety/hazard-log.md names the tests that prove each control: they must exist."""

import ast
import re

import pytest

REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


@pytest.fixture(scope="module")
def log(root):
    return (root / "docs" / "safety" / "hazard-log.md").read_text(encoding="utf-8")


def defined_functions(root, relative_path):
    tree = ast.parse((root / relative_path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_every_named_test_exists(root, log):
    references = REFERENCE.findall(log)
    assert len(references) >= 20
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (root / path).exists() or name not in defined_functions(root, path)
    ]
    assert not missing, f"the hazard log names tests that do not exist: {missing}"


def test_every_hazard_has_controls_with_tests(log):
    sections = re.split(r"^## ", log, flags=re.M)[1:]
    assert [s.split(" ")[0] for s in sections] == ["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10"]
    for section in sections:
        assert REFERENCE.search(section), f"hazard {section[:3]} names no test"
        assert "**Residual risk.**" in section
