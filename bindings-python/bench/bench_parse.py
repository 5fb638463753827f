"""invitekit.parse_addresses against python-email-validator on the same 200 addresses.

    python bench/bench_parse.py [--repeat N] [--addresses N]

One run times both, each as the best of ``--repeat`` timeit rounds (the best round is the one
least disturbed by the rest of the machine):

- invitekit: one ``parse_addresses(paste)`` call on the pasted text, the addresses joined by the
  separators people paste (``, `` ``; `` newlines), some with display names; and the same call
  followed by reading every entry's ``normalized`` (what a form does next).
- email-validator: a Python loop of ``validate_email(address, check_deliverability=False)``
  over the same addresses, bare (it takes one address per call), catching its error.

It prints both times, per call and per address, and the ratio. The addresses come from a fixed
seed: about 90% plain ASCII, some with capitals and ``+tags``, some internationalized domains
and local parts, and a few broken ones, as in benches/ of the Rust workspace.
"""

from __future__ import annotations

import argparse
import random
import timeit
from importlib.metadata import version

from email_validator import EmailNotValidError, validate_email

import invitekit

FIRST = ["jane", "john", "sam", "alex", "maria", "li", "noah", "emma", "olivia", "lucas", "mia", "ahmed"]
LAST = ["doe", "smith", "lee", "garcia", "martin", "nguyen", "brown", "wilson", "khan", "rossi"]
DOMAINS = ["example.com", "acme.io", "brightlabs.com", "mail.example.org", "gmail.com", "outlook.com", "company.co.uk"]
IDN_DOMAINS = ["bücher.example", "münchen.de", "例え.jp"]
UNICODE_LOCALS = ["josé.garcía", "用户", "zoë"]
BROKEN = ["jane.doe@", "@acme.com", "jane..doe@example.com", "jane@localhost", "no-at-sign.example.com"]


def corpus(count: int, seed: int = 2026) -> tuple[list[str], str]:
    """``count`` bare addresses, and the same addresses as one pasted text."""
    rng = random.Random(seed)
    addresses: list[str] = []
    pieces: list[str] = []
    for i in range(count):
        roll = rng.random()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if roll < 0.02:
            address = rng.choice(BROKEN)
        elif roll < 0.05:
            address = f"{first}@{rng.choice(IDN_DOMAINS)}"
        elif roll < 0.07:
            address = f"{rng.choice(UNICODE_LOCALS)}{i}@{rng.choice(DOMAINS)}"
        else:
            local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{i}", f"{first}.{last}+invites"])
            if rng.random() < 0.09:
                local = local.capitalize()
            address = f"{local}@{rng.choice(DOMAINS)}"
        addresses.append(address)
        if rng.random() < 0.06 and "@" in address:
            pieces.append(f"{first.title()} {last.title()} <{address}>")
        else:
            pieces.append(address)
    separators = [", ", "; ", "\n", ",\n", " "]
    paste = "".join(piece + rng.choice(separators) for piece in pieces)
    return addresses, paste


def validate_all(addresses: list[str]) -> int:
    accepted = 0
    for address in addresses:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            continue
        accepted += 1
    return accepted


def best(statement: object, number: int, repeat: int) -> float:
    """Seconds per call, best of ``repeat`` rounds of ``number`` calls."""
    timer = timeit.Timer(statement)  # type: ignore[arg-type]
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    addresses, paste = corpus(args.addresses)
    parsed = invitekit.parse_addresses(paste, max_addresses=len(addresses))
    assert len(parsed) == len(addresses), (len(parsed), len(addresses))
    accepted = validate_all(addresses)

    def parse() -> None:
        invitekit.parse_addresses(paste, max_addresses=len(addresses))

    def parse_and_read() -> None:
        for entry in invitekit.parse_addresses(paste, max_addresses=len(addresses)):
            entry.normalized

    def peer() -> None:
        validate_all(addresses)

    # Enough calls per round for a stable clock reading: about 0.1 s per round for each.
    ours = best(parse, 1000, args.repeat)
    ours_read = best(parse_and_read, 500, args.repeat)
    theirs = best(peer, 5, args.repeat)

    n = len(addresses)
    print(f"{n} addresses, {len(paste.encode())} bytes pasted; best of {args.repeat} rounds")
    print(f"invitekit {version('invitekit')} parse_addresses:         {ours * 1e6:9.1f} us/call  {ours / n * 1e9:8.0f} ns/address  ({parsed.valid} unique valid)")
    print(f"invitekit parse + read every .normalized: {ours_read * 1e6:9.1f} us/call  {ours_read / n * 1e9:8.0f} ns/address")
    print(f"email-validator {version('email-validator')} validate_email loop:  {theirs * 1e6:9.1f} us/call  {theirs / n * 1e9:8.0f} ns/address  ({accepted} accepted)")
    print(f"ratio (email-validator / parse_addresses):        {theirs / ours:7.1f}x")
    print(f"ratio (email-validator / parse + read):           {theirs / ours_read:7.1f}x")


if __name__ == "__main__":
    main()
