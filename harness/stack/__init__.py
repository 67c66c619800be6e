"""The stack a developer or a scenario runs: toxiproxy, the mocks, one proxy per mock.

running    RunningStack, the one place every fault goes through (network, app, process), for
           a scenario run, `harness up` and the pytest plugin; the client under test's process
topology   default ports, starting toxiproxy, the mocks and their proxies under one Supervisor
control    process faults asked of a `harness up` by the other commands, through files
state      .state/stack.json, so that status/inject/heal/down find a running `harness up`
tls        a CA made for each stack and the mocks' HTTPS certificate (stack.tls, `up --tls`)
admin      the mocks' fault admin API over HTTP, with the service_contract models
apply      network and app faults applied to / removed from a stack
words      faults from `key=value` command-line words
cli        `harness up|status|inject|heal|down`
"""
