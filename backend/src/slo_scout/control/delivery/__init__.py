"""Delivery of approved bundles to the teams' repositories."""
