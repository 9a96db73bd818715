"""The deterministic safety net: readable rules that catch crisis language and clinical decisions."""
