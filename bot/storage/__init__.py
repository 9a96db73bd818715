"""Conversation storage: the tracker store, the database, redaction before anything is stored, and
retention."""
