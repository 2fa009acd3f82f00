"""Collectors: OTLP, remote_write and Loki push in; Kafka out."""
