"""Staff: named people with one role each who sign in to the console (password + TOTP, or OpenID Connect)."""
