"""`harness run`: one scenario, end to end, with teardown whatever happens.

engine    run() (a scenario in memory; harness.run) and run_scenario() (a file): stack ->
          client -> steady state -> timeline under load -> drain -> checks -> journal.json +
          junit.xml -> verdict (the exit code)
events    the typed events a run sends its subscribers, and the bus that delivers them
options   RunOptions: how a run goes, shared by single runs and suites
timeline  applies and removes each fault at its time, sending scheduled and actual times;
          FaultWindows keeps them for the journal
client    starts the client under test from its definition, wired to the proxies
probes    liveness probes of the client during the run
progress  the live progress line, a subscriber to the events
signals   SIGTERM handled like Ctrl-C, so the same teardown runs
"""
