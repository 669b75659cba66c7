"""Bulk import of existing lists: identities, preferences and consents with their original facts."""
