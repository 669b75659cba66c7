"""Consents per subject x purpose: grant, withdraw, double opt-in confirmation, expiry, receipts."""
