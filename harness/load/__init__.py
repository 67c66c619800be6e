"""The load layer: locust simulating patients and front-desk staff, in its own processes.

`import locust` monkey-patches the whole process with gevent, so the harness never imports it:

    config             LoadConfig, handed to every locust process (no locust)
    runner             starts locust (standalone, or master + N workers) (no locust)
    users              base user classes: dataset access, outcome recording (locust)
    harness_recording  loaded beside any locustfile: records every user class's requests (locust)
    locustfile         the built-in users that drive the reference clients' API (locust)

A client with its own API brings its own locustfile: plain locust users run unchanged, users on
`harness.load.users.HarnessUser` also tell the checks what was accepted and what was wrong; see
docs/custom-load.md.
"""
