"""The reference front-office client under test, in a naive and a resilient build.

    python -m examples.reference_client --build resilient --port 8080

See README.md in this folder for the API contract, the degraded-mode marker and the environment.
"""

from examples.reference_client.app import create_app
from examples.reference_client.config import Build, Settings, settings_from_env

__all__ = ["Build", "Settings", "create_app", "settings_from_env"]
