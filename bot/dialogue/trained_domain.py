"""Loads a trained model's domain without validating its YAML schema a second time.

`rasa train` validates domain.yml against Rasa's schema, then writes the domain into the model
itself. When the server loads the model, Rasa's DomainProvider reads that copy back through
`Domain.from_yaml`, which validates the schema again: a pure-Python YAML parse and a pykwalify
pass over every response, about a second of each start on 2 cores, to check a file Rasa wrote.
Here the copy is read and turned into a Domain by the same `Domain.from_dict` that Rasa uses
after its check (tests/unit/test_trained_domain.py compares the two).

`use_in_rasa()` puts this loader in place before a model is loaded; bot/rasa_server.py calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.shared.core.domain import Domain
from rasa.shared.utils.io import read_file, read_yaml

# The file DomainProvider writes into the model (DomainProvider._persist).
DOMAIN_FILE = "domain.yml"


def load_trained_domain(directory: Path) -> Domain:
    """The domain a trained model holds in `directory`, read without a second schema check."""
    return Domain.from_dict(read_yaml(read_file(Path(directory) / DOMAIN_FILE)))


def _load(
    cls: type,
    config: Dict[str, Any],
    model_storage: ModelStorage,
    resource: Resource,
    execution_context: ExecutionContext,
    **kwargs: Any,
) -> DomainProvider:
    with model_storage.read_from(resource) as directory:
        domain = load_trained_domain(directory)
    return cls(model_storage, resource, domain)


def use_in_rasa() -> None:
    """Make Rasa's DomainProvider load a trained model's domain this way."""
    DomainProvider.load = classmethod(_load)  # type: ignore[method-assign,assignment]
