"""SLO Scout: journeys from traces, SLOs from journeys."""

__version__ = "0.1.0"
