"""Journeys: per-key statistics, read-time folding, and the stored folded view."""
