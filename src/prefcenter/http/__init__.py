"""HTTP cross-cutting pieces: problem details, request ids, idempotency, body limits."""
