"""Natural-language understanding: the intent classifier (model, safety-first decision rule and
its Rasa component)."""
