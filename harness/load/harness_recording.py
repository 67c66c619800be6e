"""The harness's side of every locust process it starts, whatever the client's locustfile is.

The runner loads this file next to the client's (`locust -f client.py,harness_recording.py`), so
that a team's existing locustfile runs unchanged: its user classes need not know the harness (a
plain `HttpUser` is fine), every request of every user class is recorded and classified, and the
`--harness-config` option the runner passes is known to locust. The work is done by the
listeners of `harness.load.users`, registered once when that module is first imported (by this
file, or by a locustfile on `HarnessUser`): one listener, so no request is recorded twice.

locust imports a locustfile as a top-level module named after its file, hence a name no team's
own module is likely to have.
"""

from __future__ import annotations

import harness.load.users  # noqa: F401  (registers the listeners: docs/custom-load.md)
