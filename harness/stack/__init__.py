"""The stack a developer or a scenario runs: toxiproxy, the mocks, one proxy per mock.

topology   default ports, starting everything under one Supervisor
state      .state/stack.json, so that status/inject/heal/down find a running `harness up`
admin      the mocks' fault admin API over HTTP (the harness never imports mock_services)
apply      catalogue faults applied to / removed from a stack, network and app alike
words      faults from `key=value` command-line words
cli        `harness up|status|inject|heal|down`
"""
