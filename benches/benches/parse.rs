//! Criterion benches of [`invitekit::address::parse`].
//!
//! - `parse/paste_200`: one realistic 200-address paste (mixed separators, a few display
//!   names, a few internationalized and invalid addresses) with the default options: what the
//!   invite form does on every submit. Target: under 100 µs.
//! - `parse/addresses_1m`: 1,000,000 bare addresses, one per line, as one list with
//!   `max_addresses` and `max_input_bytes` raised to fit: raw throughput of parse and validate.
//!   Target: at least 2 million addresses per second on one core.
//!
//! Both report throughput in addresses (elements). Run with
//! `cargo bench -p invitekit-benches` (or `-- --quick` for a smoke run).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use invitekit::address::{AddressList, ParseOptions, parse};
use invitekit_benches::{DEFAULT_SEED, lines, paste};

/// Says on stderr when a parse did not find one entry per generated address: the numbers
/// would then measure something else than intended (a stub, or a cutting bug).
fn check_entries(bench: &str, list: &AddressList, expected: usize) {
    if list.entries.len() != expected {
        eprintln!(
            "warning: {bench}: parse found {} entries, the corpus has {expected} addresses",
            list.entries.len()
        );
    }
}

fn paste_200(c: &mut Criterion) {
    let input = paste(200, DEFAULT_SEED);
    let options = ParseOptions::default();
    let list = parse(&input, &options).expect("a 200-address paste fits the default bound");
    check_entries("paste_200", &list, 200);

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(200));
    group.bench_function("paste_200", |b| {
        b.iter(|| parse(black_box(&input), &options).expect("fits"))
    });
    group.finish();
}

fn addresses_1m(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let input = lines(N, DEFAULT_SEED);
    let options = ParseOptions {
        max_addresses: N,
        max_input_bytes: input.len(),
        ..ParseOptions::default()
    };
    let list = parse(&input, &options).expect("the limits were raised to fit");
    check_entries("addresses_1m", &list, N);
    drop(list);

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(N as u64));
    // One iteration takes about half a second: take few, flat samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("addresses_1m", |b| {
        b.iter(|| parse(black_box(&input), &options).expect("fits"))
    });
    group.finish();
}

criterion_group!(benches, paste_200, addresses_1m);
criterion_main!(benches);
