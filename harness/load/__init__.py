"""The load layer: locust simulating patients and front-desk staff, in its own processes.

`import locust` monkey-patches the whole process with gevent, so the harness never imports it:

    config      LoadConfig, the JSON file the runner hands to every locust process (no locust)
    runner      starts locust (standalone, or master + N workers) under a Supervisor (no locust)
    users       base user classes for locustfiles: dataset access, outcome recording (locust)
    locustfile  the built-in users that drive the reference clients' API (locust)

A client with its own API writes its own locustfile on `harness.load.users.HarnessUser`; see
docs/custom-load.md.
"""
