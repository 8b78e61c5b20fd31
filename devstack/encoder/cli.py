"""``python -m devstack.encoder``: push the synthetic live stream to a channel's ingest URL."""

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
    if not args.username or not args.password:
        parser.error(f"--username and --password (or ${USERNAME_ENV} and ${PASSWORD_ENV}) are required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    encoder = LiveHlsEncoder(
        args.ingest_url,
        args.username,
        args.password,
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
