"""GDPR data subject requests: intake, verification, erasure, export (DESIGN sections 4 and 5)."""
