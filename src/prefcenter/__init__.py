"""prefcenter: preference and consent management with GDPR tooling."""

__version__ = "0.1.0"
