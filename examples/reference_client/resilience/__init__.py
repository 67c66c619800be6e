"""What the resilient build adds: timeouts, retries, breakers, a cache and an outbox.

- breaker.py: a circuit breaker per upstream (closed -> open -> half-open probe);
- retry.py: exponential backoff with full jitter, for idempotent calls only;
- guard.py: breaker + retry around one upstream call;
- store.py: the client's own SQLite file; cache.py, outbox.py and registrations.py live in it;
- replay.py: the background task that forwards the outbox exactly once and verifies
  pending eligibility when BPJS is back.
"""
