"""Spiders of the project; ``portal`` is the only one users run."""
