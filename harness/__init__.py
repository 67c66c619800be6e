"""Resilience harness for health APIs: replays real outages against a client under test.

Engine layers (one concept per module): `errors` (error tree and exit codes), `net` (loopback
safety, ports), `process` (supervision of every process the harness starts), `toxiproxy` (the only
code that talks to toxiproxy), and the scenario, load, checks and report layers.
"""
