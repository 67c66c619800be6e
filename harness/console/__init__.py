"""`harness console`: the stack, faults by hand and live runs in the browser.

app       the web app: the page and its JSON API, behind the token and origin guard
catalogue the fault catalogue as the inject form needs it (from the catalogue's models)
runs      runs started from the page, each a `harness run --events` process
child     the console as a process of `harness up --ui` and `harness run --ui`
cli       `harness console [--port N] [--scenario-dir DIR] [--allow-host HOST]`
page.html the page: no library, the chart drawn as SVG from Server-Sent Events
"""
