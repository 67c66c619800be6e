"""An example resilience suite a client team copies: the reference client's Python code tested
under faults with nothing but the harness's pytest plugin (see README.md in this folder)."""
