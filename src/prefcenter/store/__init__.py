"""Storage: SQLAlchemy models, engines and the unit of work (event + projection in one transaction)."""
