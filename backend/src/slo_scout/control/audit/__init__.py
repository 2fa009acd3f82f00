"""The audit log of every mutation."""
