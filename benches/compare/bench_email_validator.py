"""Times python-email-validator on a corpus of addresses, one per line.

Usage: bench_email_validator.py CORPUS [RUNS] [WARMUP]

Each address goes through ``validate_email(address, check_deliverability=False)`` (no DNS),
counting those that raise no ``EmailNotValidError``. A warm-up pass over the first WARMUP
addresses (default 20,000) comes first, then RUNS full passes (default 5). Prints one JSON line
in the shape every runner of benches/compare uses.
"""

import json
import platform
import sys
import time
from importlib.metadata import version

from email_validator import EmailNotValidError, validate_email


def validate_all(addresses):
    accepted = 0
    for address in addresses:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            continue
        accepted += 1
    return accepted


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    with open(path, encoding="utf-8", newline="") as corpus:
        addresses = corpus.read().split("\n")
    if addresses and addresses[-1] == "":
        addresses.pop()

    validate_all(addresses[:warmup])
    seconds = []
    accepted = None
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        count = validate_all(addresses)
        seconds.append(time.perf_counter() - start)
        assert accepted in (None, count), "accepted count changed between passes"
        accepted = count

    ordered = sorted(seconds)
    print(json.dumps({
        "implementation": "email-validator validate_email (Python %s)" % platform.python_version(),
        "version": version("email-validator"),
        "addresses": len(addresses),
        "runs": len(seconds),
        "best_seconds": ordered[0],
        "median_seconds": ordered[len(ordered) // 2],
        "accepted": accepted,
    }))


if __name__ == "__main__":
    main()
