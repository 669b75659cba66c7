"""Consent checks for marketing systems: single, batch and streaming, over a fast projection read path."""
