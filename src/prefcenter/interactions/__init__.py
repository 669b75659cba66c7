"""Interactions: contacts with a subject on any channel or touchpoint, for context across channels."""
