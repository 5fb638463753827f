#!/usr/bin/env bash
# invitekit's parser side by side with peer validators, on one corpus, on one core.
#
#   benches/compare/run.sh [N]        N addresses (default 200000)
#
# Environment: SEED (corpus seed), RUNS (timed passes per contender and round, default 5),
# PY_RUNS (passes for python-email-validator, default 3: one pass over 200,000 addresses takes
# it 10 to 20 s), WARMUP (addresses in the warm-up pass, default 20000), ROUNDS (default 2:
# the whole line-up runs this many times, one contender after the other, and each contender's
# best pass of all rounds counts, so that a slow spell of a shared machine hits all alike).
#
# Installs what it needs on a clean machine, and only what changed on a second run:
# the Python peer into benches/compare/.venv (requirements.txt), the Node peer into
# benches/compare/node_modules (package.json + package-lock.json), the Rust side with cargo.
# Writes the corpus and the raw results under benches/compare/out/.
set -euo pipefail

N="${1:-200000}"
RUNS="${RUNS:-5}"
PY_RUNS="${PY_RUNS:-3}"
WARMUP="${WARMUP:-20000}"
ROUNDS="${ROUNDS:-2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
mkdir -p "$out"

say() { printf '==> %s\n' "$*" >&2; }

sha() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# --- Python peer -----------------------------------------------------------------------------
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    python3 -m venv "$venv"
fi
want="$(sha "$here/requirements.txt")"
if [ "$(cat "$venv/.invitekit-requirements" 2>/dev/null)" != "$want" ]; then
    say "installing requirements.txt into .venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$venv/.invitekit-requirements"
fi

# --- Node peer -------------------------------------------------------------------------------
want="$(sha "$here/package.json" "$here/package-lock.json")"
if [ "$(cat "$here/node_modules/.invitekit-lock" 2>/dev/null)" != "$want" ]; then
    say "npm install in benches/compare"
    (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
    echo "$want" >"$here/node_modules/.invitekit-lock"
fi

# --- Rust side -------------------------------------------------------------------------------
say "building the compare binary (release)"
(cd "$root" && cargo build --quiet --release -p invitekit-benches --bin compare)
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
compare="$target/release/compare"

# --- One core for everyone -------------------------------------------------------------------
pin=()
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    pin=(taskset -c 0)
    core_note="every contender pinned to CPU 0 with 'taskset -c 0': all measured on one core"
else
    core_note="taskset unavailable: contenders NOT pinned (each is single-threaded, but may migrate)"
fi

# --- Corpus ----------------------------------------------------------------------------------
corpus="$out/corpus-$N.txt"
say "generating $N addresses into ${corpus#"$root"/}"
seed_args=()
[ -n "${SEED:-}" ] && seed_args=(--seed "$SEED")
"$compare" corpus "$N" "$corpus" "${seed_args[@]}" >"$out/corpus-meta.jsonl"

# --- Runs ------------------------------------------------------------------------------------
results="$out/results.jsonl"
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
    say "round $round of $ROUNDS: invitekit and email_address (Rust), $RUNS passes"
    "${pin[@]}" "$compare" rust "$corpus" --runs "$RUNS" --warmup "$WARMUP" >>"$results"
    say "round $round of $ROUNDS: validator.js (Node), $RUNS passes"
    "${pin[@]}" node "$here/bench_validator.js" "$corpus" "$RUNS" "$WARMUP" >>"$results"
    say "round $round of $ROUNDS: email-validator (Python), $PY_RUNS passes"
    "${pin[@]}" "$venv/bin/python" "$here/bench_email_validator.py" "$corpus" "$PY_RUNS" "$WARMUP" >>"$results"
done

# --- Table -----------------------------------------------------------------------------------
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
echo "$core_note"
echo "$ROUNDS rounds of $RUNS passes ($PY_RUNS for Python), each after a warm-up over the first $WARMUP addresses; rustc $(rustc --version | cut -d' ' -f2), $("$venv/bin/python" --version), node $(node --version)"
"$compare" table "$out/corpus-meta.jsonl" "$results"
