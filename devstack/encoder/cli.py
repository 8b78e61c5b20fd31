"""``python -m devstack.encoder``: push the synthetic live stream to a channel's ingest URL.

A MediaPackage v1 channel takes basic auth (``--username``/``--password``); a v2 channel has no
ingest passwords: ``--sigv4 REGION`` signs every push with the access key in
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (as MediaLive signs), and with neither the pushes
go unsigned (a v2 channel policy may allow that by source address).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from collections.abc import Sequence

from devstack.encoder.pusher import LiveHlsEncoder
from devstack.encoder.segments import SEGMENT_SECONDS

log = logging.getLogger(__name__)

# Where the CLI takes the credentials from when --username/--password are not given.
USERNAME_ENV = "DEVSTACK_INGEST_USERNAME"
PASSWORD_ENV = "DEVSTACK_INGEST_PASSWORD"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.encoder",
        description="Synthetic live HLS encoder: pushes H.264/AAC MPEG-TS segments to an ingest URL.",
    )
    parser.add_argument("--ingest-url", required=True, help="channel ingest URL (base, without .m3u8)")
    parser.add_argument(
        "--username",
        default=os.environ.get(USERNAME_ENV),
        help=f"ingest user name (default: ${USERNAME_ENV})",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get(PASSWORD_ENV),
        help=f"ingest password (default: ${PASSWORD_ENV}, better: arguments are visible to ps)",
    )
    parser.add_argument(
        "--sigv4",
        metavar="REGION",
        help="a MediaPackage v2 channel: sign each push (SigV4, service mediapackagev2) with "
        "$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY",
    )
    parser.add_argument(
        "--unsigned",
        action="store_true",
        help="a MediaPackage v2 channel whose policy allows unsigned pushes (by source address)",
    )
    parser.add_argument(
        "--preroll",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="back-dated content to push first, as fast as possible (default 0)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="content to push after the pre-roll, in real time (default: until interrupted)",
    )
    parser.add_argument("--segment-seconds", type=int, default=SEGMENT_SECONDS)
    parser.add_argument("--playlist-window", type=int, default=6, metavar="SEGMENTS")
    args = parser.parse_args(argv)
    auth = None
    if args.sigv4:
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            parser.error("--sigv4 needs $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY")
        from devstack.encoder.signing import SigV4PushAuth

        auth = SigV4PushAuth(key, secret, args.sigv4)
    elif not args.unsigned and (not args.username or not args.password):
        parser.error(
            f"--username and --password (or ${USERNAME_ENV} and ${PASSWORD_ENV}) are required for a v1 channel; "
            "a v2 channel takes --sigv4 REGION or --unsigned"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    v1_credentials = (None, None) if auth is not None or args.unsigned else (args.username, args.password)
    encoder = LiveHlsEncoder(
        args.ingest_url,
        *v1_credentials,
        auth=auth,
        segment_seconds=args.segment_seconds,
        playlist_window=args.playlist_window,
    )
    log.info(
        "pushing to %s (%d renditions, %d s segments)",
        encoder.base_url,
        len(encoder.renditions),
        encoder.segment_seconds,
    )
    # `python -m devstack stop` sends SIGTERM: end the stream cleanly (ENDLIST), like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        encoder.run(preroll_seconds=args.preroll, duration_seconds=args.duration)
    except KeyboardInterrupt:
        log.info("interrupted")
        encoder.finish()
