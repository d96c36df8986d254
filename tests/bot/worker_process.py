"""A stand-alone "worker" for the multi-process election test.

Builds the app from the PU_* environment, starts the runtime with the Telegram job as a gunicorn
worker would, prints its lease token, and runs until killed.
"""
from __future__ import annotations

import sys
import time

from pepeunit import create_app

from .common import FAST, start_bot_runtime


def main() -> None:
    app = create_app()
    runtime = start_bot_runtime(app, **FAST)
    print(f"lease-token {runtime.threads[0].lease.token}", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
