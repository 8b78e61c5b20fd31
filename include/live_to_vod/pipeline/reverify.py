"""The validate task of ``reverify_vod_asset``: a re-verification's params into the asset to verify."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.config import DeploymentConfig
from live_to_vod.validation import InvalidParams, validate_reverify_request


class ValidateReverifyRequestOperator(BaseOperator):
    """Check the run's params (the trigger form, the REST or CLI ``conf``) and return the asset to
    verify: bucket, manifest key, window and ``verify_segments``
    (:func:`live_to_vod.validation.validate_reverify_request`). Makes no AWS call; bad params fail
    the task at once (no retries) with one ``field: message`` line per problem.

    Returns ``AssetToVerify.to_dict()``, which ``VerifyHarvestedAssetOperator`` takes as its request.

    :param deployment: the deployment configuration; read from the environment when not given.
    """

    def __init__(self, *, deployment: DeploymentConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment = deployment

    def execute(self, context: Any) -> dict[str, Any]:
        deployment = self.deployment or DeploymentConfig.from_env()
        try:
            asset = validate_reverify_request(dict(context["params"]), deployment, pendulum.now("UTC"))
        except InvalidParams as exc:
            raise AirflowFailException(
                f"The re-verification's parameters are invalid; nothing was read.\n{exc}"
            ) from None
        self.log.info(
            "Re-verifying %s for %s to %s, segments: %s",
            asset.asset_uri, asset.window.start.to_iso8601_string(), asset.window.end.to_iso8601_string(),
            asset.verify_segments,
        )  # fmt: skip
        return asset.to_dict()


__all__ = ["ValidateReverifyRequestOperator"]
