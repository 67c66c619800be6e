"""`harness run`: one scenario, end to end, with teardown whatever happens.

engine    run_scenario(): stack -> client -> steady state -> timeline under load -> drain ->
          checks -> journal.json + junit.xml -> verdict (the exit code)
timeline  applies and removes each fault at its time, recording scheduled and actual times
client    starts the client under test from its definition, wired to the proxies
probes    liveness probes of the client during the run
progress  the live progress line
signals   SIGTERM handled like Ctrl-C, so the same teardown runs
"""
