"""Revoking a person's email links: every unsubscribe, manage and confirm link minted before now stops working."""
