"""Auth: API clients, OAuth 2 client-credentials tokens, subject tokens for the widget, scope guards."""
