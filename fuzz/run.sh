#!/usr/bin/env bash
# Run a cargo-fuzz target for SECONDS seconds on the stable toolchain.
#
#   fuzz/run.sh SECONDS [TARGET]      (TARGET defaults to parse_addresses)
#
# Seeds fuzz/corpus/TARGET/ from the inputs of testdata/addresses.json when that file exists
# (and python3 is there to read it), installs cargo-fuzz 0.13.2 into target/tools if it is
# missing, and exits non-zero when the fuzzer finds a crash; the crashing input is then in
# fuzz/artifacts/TARGET/ and `cargo fuzz` prints how to reproduce and minimize it.
#
# Environment: FUZZ_SANITIZER=none builds without AddressSanitizer (about twice the executions
# per second; the code is forbid(unsafe_code), so the sanitizer mostly guards dependencies).
set -euo pipefail

usage() {
    echo "usage: fuzz/run.sh SECONDS [TARGET]" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
seconds=$1
target=${2:-parse_addresses}
case $seconds in '' | *[!0-9]*) usage ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# cargo-fuzz from PATH, else from (or installed into) target/tools.
tools=$root/target/tools
export PATH="$PATH:$tools/bin"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2 --root "$tools"
fi

corpus=fuzz/corpus/$target
mkdir -p "$corpus"

# Each seed is two option bytes (as fuzz_targets/parse_addresses.rs reads them) and the input.
if [ "$target" = parse_addresses ] && [ -f testdata/addresses.json ]; then
    if command -v python3 >/dev/null 2>&1; then
        python3 - testdata/addresses.json "$corpus" <<'PY'
import hashlib, json, os, sys

source, corpus = sys.argv[1], sys.argv[2]
ALLOW = ["allow_quoted_local_part", "allow_ip_literal", "allow_dotless_domain", "allow_comments",
         "allow_special_use_domains", "allow_invisible_characters", "allow_bidi_controls",
         "allow_symbols"]

def option_bytes(options):
    options = options if isinstance(options, dict) else {}
    allow = sum(1 << bit for bit, name in enumerate(ALLOW) if options.get(name))
    maximum = options.get("max_addresses")
    limits = maximum if isinstance(maximum, int) and 0 <= maximum < 15 else 15
    if options.get("case_sensitive_local_part"):
        limits |= 1 << 4
    return bytes([allow, limits])

def cases(value):
    if isinstance(value, dict):
        if isinstance(value.get("input"), str):
            yield value["input"], value.get("options")
        for child in value.values():
            yield from cases(child)
    elif isinstance(value, list):
        for child in value:
            yield from cases(child)

with open(source, encoding="utf-8") as file:
    document = json.load(file)
written = 0
for text, options in cases(document):
    seed = option_bytes(options) + text.encode("utf-8", "surrogatepass")
    path = os.path.join(corpus, "seed-" + hashlib.sha1(seed).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as file:
            file.write(seed)
        written += 1
print(f"fuzz/run.sh: {written} new seeds from {source} in {corpus}", file=sys.stderr)
PY
    else
        echo "fuzz/run.sh: python3 not found, not seeding from testdata/addresses.json" >&2
    fi
fi

sanitizer=()
if [ -n "${FUZZ_SANITIZER:-}" ]; then
    sanitizer=(--sanitizer "$FUZZ_SANITIZER")
fi

# cargo-fuzz needs nightly-only flags for the sanitizer; RUSTC_BOOTSTRAP=1 lets stable take them.
RUSTC_BOOTSTRAP=1 cargo fuzz run "${sanitizer[@]}" "$target" --fuzz-dir fuzz "$corpus" -- \
    -max_total_time="$seconds"
