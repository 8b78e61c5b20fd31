"""SigV4 on the encoder's pushes, as MediaLive signs what it sends to a MediaPackage v2 channel."""

from __future__ import annotations

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class SigV4PushAuth(requests.auth.AuthBase):
    """A requests auth that signs each PUT/DELETE for ``service`` in ``region`` with an access key."""

    def __init__(self, access_key: str, secret_key: str, region: str, service: str = "mediapackagev2"):
        self.signer = SigV4Auth(Credentials(access_key, secret_key), service, region)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        headers = {"Content-Type": request.headers["Content-Type"]} if "Content-Type" in request.headers else {}
        signed = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        self.signer.add_auth(signed)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = signed.headers[name]
        return request
