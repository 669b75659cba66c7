"""Double opt-in: the confirmation email, the confirm link and the expiry of unconfirmed consents."""
