"""Artifact bundles: the approved SLOs of an environment rendered, reviewed and diffed."""
