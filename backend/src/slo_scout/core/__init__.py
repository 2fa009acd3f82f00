"""The pure core of SLO Scout: data in, data out, no I/O.

Subpackages hold one concern each (telemetry, journeys, simulate, specs, rules, artifacts);
their ``__init__`` modules list the public names. Nothing here reads files, the network, the
environment, the clock or a random source: callers pass bytes, ``now`` and seeds in.
"""
