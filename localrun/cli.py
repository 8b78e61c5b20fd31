"""``python -m localrun``: run the project on this machine against the local media stack.

python -m localrun demo      # what `make run` runs: stack, seed, airflow standalone, one harvest run
python -m localrun seed      # the stack (started if needed), then bucket, roles, channel, endpoints,
                             # VOD group, queue and encoder (idempotent)
python -m localrun topology  # the compose topology as processes (Postgres, Redis, Celery), until Ctrl-C
python -m localrun stop      # stops the demo's airflow standalone (`python -m devstack stop`: the stack)
"""

from __future__ import annotations

import argparse
import json

from devstack.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["demo", "seed", "topology", "stop"])
    parser.add_argument("--preroll", type=int, default=None, help="seed: seconds of back-dated content to push first")
    parser.add_argument("--no-encoder", action="store_true", help="seed: do not start the synthetic encoder")
    parser.add_argument("--workers", type=int, default=2, help="topology: how many Celery workers")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "demo":
        from localrun import demo

        return demo.main()
    if args.command == "stop":
        from localrun import demo

        demo.stop()
        return 0
    from localrun.seed import seeded

    if args.command == "seed":
        print(json.dumps(seeded(settings, preroll_seconds=args.preroll, with_encoder=not args.no_encoder), indent=2))
        return 0
    from localrun.topology import serve

    return serve(
        settings.home.parent / "topology", stack_url=settings.public_url, seed=seeded(settings), workers=args.workers
    )
