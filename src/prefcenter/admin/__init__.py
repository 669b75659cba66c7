"""Admin pages for compliance officers: server-rendered HTML over the same services as the API and CLI."""
