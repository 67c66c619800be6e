"""What a run produced and what it means: the data the load and the runner record, the checks
computed from it, and the journal.json / junit.xml writers.

    vocabulary   Outcome (served, degraded, failed) and Phase (before, during, after)
    histogram    LatencyHistogram: log-bucketed, mergeable, percentiles within 1 %
    timeline     per-second request buckets and accepted records: on-disk format, writer, reader
    ledger       what reached the backends (GET /__admin/ledger), read with the mocks' models
    run          RunData: everything the checks look at; fault windows and phases
    checks       each check as a pure function of RunData -> CheckResult
    journal      journal.json (model, schema, writer) and the verdict
    junit        junit.xml, a run's and a suite's (one testsuite per scenario)
    suite        suite.json: a suite's verdict and each run's (SuiteSummary)
"""
