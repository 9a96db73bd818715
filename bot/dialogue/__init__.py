"""Dialogue: which response follows which message (Rasa policies)."""
