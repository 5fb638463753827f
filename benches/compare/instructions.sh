#!/usr/bin/env bash
# Instructions per address, counted by callgrind: a measure of the Rust contenders that does not
# move with the machine's load or clock (timings on a shared 2-core VM swing by 30-50% from one
# minute to the next; these counts are the same every run).
#
#   benches/compare/instructions.sh [N]        N addresses (default 20000)
#
# Counts only inside `invitekit::address::parse` (dropping the result is left out) and inside
# `EmailAddress::is_valid`, on the same corpus as run.sh (same generator and seed); and, per
# address, for the criterion bench's realistic 200-entry paste (names, mixed separators).
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail

N="${1:-20000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
mkdir -p "$out"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
fi

(cd "$root" && cargo build --quiet --release -p invitekit-benches --bin compare)
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
compare="$target/release/compare"

corpus="$out/corpus-$N.txt"
seed_args=()
[ -n "${SEED:-}" ] && seed_args=(--seed "$SEED")
"$compare" corpus "$N" "$corpus" "${seed_args[@]}" >/dev/null

count() { # contender, function to count inside
    local log="$out/callgrind-$1.log"
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind-$1.out" \
        --toggle-collect="$2" "$compare" once "$corpus" "$1" >/dev/null 2>"$log"
    grep -E 'Collected' "$log" | awk '{print $NF}'
}

printf '%-34s %15s %14s\n' "contender ($N addresses)" "instructions" "per address"
for contender in list pastes paste_200 email_address; do
    case "$contender" in
        email_address) function='email_address::EmailAddress::is_valid' ;;
        *) function='invitekit::address::parse' ;;
    esac
    total="$(count "$contender" "$function")"
    per=$((total / N))
    [ "$contender" = paste_200 ] && per=$((total / 200))
    case "$contender" in
        list) label="invitekit parse, one list" ;;
        pastes) label="invitekit parse, pastes of 200" ;;
        paste_200) label="invitekit parse, bench paste_200" ;;
        email_address) label="email_address is_valid" ;;
    esac
    printf '%-34s %15s %14s\n' "$label" "$total" "$per"
done
echo "callgrind outputs: ${out#"$root"/}/callgrind-*.out (callgrind_annotate FILE shows where)"
