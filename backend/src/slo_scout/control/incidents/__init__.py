"""Incidents on stored data: why a journey burns, from its stored minutes (docs/rca.md)."""
