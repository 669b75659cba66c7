"""Subjects (the single customer view): identities, settings, preferences and the profile read."""
