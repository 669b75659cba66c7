"""Outgoing messages (double opt-in confirmations, DSR verification codes) through a pluggable sender."""
