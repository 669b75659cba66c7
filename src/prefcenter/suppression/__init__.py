"""Suppression lists for email/SMS providers and the change feed downstream systems sync from."""
