"""The mocks' development credentials, written once.

The mocks accept these unless a flag says otherwise (`--cons-id`, `--secret`, `--user-key`;
`--client-id`, `--client-secret`), and the harness hands them to the client under test through
its templates. They are not secret: they only ever travel on the loopback interface.

The patient app has no shared credential: each seeded patient logs in with their own username
and password (`python -m mock_services dataset` lists them).
"""

from __future__ import annotations

from typing import Final

BPJS_CONS_ID: Final = "1000"
"""X-cons-id."""
BPJS_SECRET: Final = "mock-secret"
"""Signs requests (X-signature) and, with the cons id and timestamp, encrypts responses."""
BPJS_USER_KEY: Final = "mock-user-key"
"""user_key."""

ERM_CLIENT_ID: Final = "erm-dev-client"
"""OAuth2 client id of the token endpoint (/oauth2/v1/accesstoken)."""
ERM_CLIENT_SECRET: Final = "erm-dev-secret"
"""OAuth2 client secret."""
