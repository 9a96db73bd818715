"""Patient-education chatbot for ketamine clinics.

The Rasa project (config.yml, domain.yml, data/) lives at the repository root; this package
holds the code Rasa loads by module path (NLG, tracker store, channels) and the command line.
"""
