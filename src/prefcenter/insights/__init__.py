"""Insights: consent, service, feedback and DSR figures as aggregates only (issue 13)."""
