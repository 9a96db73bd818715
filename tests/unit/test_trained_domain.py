"""A trained model's domain, read without Rasa's second schema check, is the same domain."""

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.shared.core.domain import Domain

from bot.dialogue import trained_domain


def test_the_domain_read_back_equals_the_one_rasa_validates_and_reads(tmp_path):
    domain = Domain.from_path("domain.yml")
    domain.persist(tmp_path / trained_domain.DOMAIN_FILE)

    ours = trained_domain.load_trained_domain(tmp_path)

    assert ours.as_dict() == Domain.from_path(tmp_path).as_dict()
    assert ours.fingerprint() == domain.fingerprint()
    assert ours.responses["utter_safety"] == domain.responses["utter_safety"]


def test_the_provider_loads_a_persisted_domain_with_it(tmp_path, monkeypatch):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("domain_provider")
    domain = Domain.from_path("domain.yml")
    DomainProvider(storage, resource)._persist(domain)

    monkeypatch.setattr(DomainProvider, "load", DomainProvider.load)  # restored after the test
    trained_domain.use_in_rasa()
    provider = DomainProvider.load({}, storage, resource, None)

    assert provider.provide_inference().as_dict() == domain.as_dict()
