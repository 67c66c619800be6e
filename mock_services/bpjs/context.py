"""What the VClaim and Antrean RS routers share: credentials check, codec, data and storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from mock_services.bpjs.auth import SignatureVerifier, SignedRequest
from mock_services.bpjs.codec import ResponseCodec
from mock_services.bpjs.config import BpjsConfig
from mock_services.bpjs.envelopes import Flavor, JsonResponse, ok_encrypted
from mock_services.bpjs.rujukan import Referrals
from mock_services.bpjs.store import BpjsStore
from mock_services.common import clock
from mock_services.common.dataset import Dataset


def _today() -> dt.date:
    return clock.today()


@dataclass(frozen=True, kw_only=True)
class BpjsContext:
    config: BpjsConfig
    verifier: SignatureVerifier
    codec: ResponseCodec
    dataset: Dataset
    referrals: Referrals
    store: BpjsStore
    today: Callable[[], dt.date] = field(default=_today)

    def verify(self, request: Request) -> SignedRequest:
        # ASGI servers give header names in lower case: one dict, instead of a scan per lookup.
        raw = request.scope["headers"]
        return self.verifier.verify({k.decode("latin-1"): v.decode("latin-1") for k, v in raw})

    def encrypted(self, flavor: Flavor, payload: object, signed: SignedRequest) -> Response:
        """An OK envelope whose `response` is the encrypted payload."""
        return JsonResponse(ok_encrypted(flavor, self.codec.encrypt(payload, signed)))
