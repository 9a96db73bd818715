"""Personal data: what is redacted before anything is stored."""
