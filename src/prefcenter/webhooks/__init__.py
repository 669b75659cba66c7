"""Downstream systems: registry, outbox, Standard Webhooks signing, delivery, acknowledgements."""
