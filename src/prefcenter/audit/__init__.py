"""The audit log: history reads, chain and checkpoint verification, signed checkpoints."""
