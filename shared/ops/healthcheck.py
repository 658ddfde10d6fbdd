"""``python -m shared.ops.healthcheck PORT``: exit 0 when the service there is healthy.

For container health checks: the image has Python but no curl.
"""

from __future__ import annotations

import sys
import urllib.request


def main(port: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{int(port)}/health", timeout=4) as answer:
            return 0 if answer.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
