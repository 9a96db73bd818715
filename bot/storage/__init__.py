"""Conversation storage housekeeping: retention and deletion."""
