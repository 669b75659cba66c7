"""One-click unsubscribe (RFC 8058, RFC 2369): signed per-subject links for List-Unsubscribe headers."""
