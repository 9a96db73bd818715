"""The documents say what the project is: they cannot drift from it unnoticed."""

import re

import pytest


def test_the_intent_catalogue_lists_exactly_the_domains_intents(root, domain):
    catalogue = (root / "docs" / "intents.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", catalogue, flags=re.M))
    assert listed == set(domain["intents"])


def _make_targets(root):
    return set(re.findall(r"^([a-z][a-z-]*):", (root / "Makefile").read_text(encoding="utf-8"), flags=re.M))


def test_every_make_target_the_readme_names_exists(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`make ([a-z][a-z-]*)", readme)) | set(re.findall(r"^make ([a-z][a-z-]*)", readme, re.M))
    assert named and named <= _make_targets(root)


def test_every_cli_command_the_readme_names_exists(root):
    from bot.__main__ import main

    readme = (root / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"python -m bot ([a-z-]+)", readme))
    assert commands
    for command in commands:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0, command


@pytest.mark.parametrize(
    "document", ["README.md", "docs/intents.md", "docs/privacy.md", "docs/safety/hazard-log.md", "docs/deploy.md"]
)
def test_every_file_a_document_names_exists(root, document):
    text = (root / document).read_text(encoding="utf-8")
    # Paths in backticks or links that look like files of this repository.
    names = set(
        re.findall(r"[`(]((?:bot|scripts|tests|docs|content|data|eval|actions|deploy|\.ci)/[\w./-]*\w)[`)]", text)
    )
    missing = [name for name in names if not (root / name).exists() and "<" not in name]
    assert not missing, missing


def test_every_class_the_configuration_files_name_can_be_loaded(root):
    import importlib

    named = set()
    for config in ("config.yml", "endpoints.yml", "credentials.yml", "deploy/endpoints.yml"):
        named |= set(re.findall(r"\b(bot(?:\.\w+)+\.[A-Z]\w+)", (root / config).read_text(encoding="utf-8")))
    assert len(named) >= 6
    for dotted in named:
        module, _, name = dotted.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type), dotted
