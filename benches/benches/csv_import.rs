//! Criterion bench of [`invitekit::csv::import`].
//!
//! - `csv/import_1m`: a bulk-invite file of 1,000,000 rows (`name,email,role`, a header, the
//!   generator's realistic addresses, a few invalid), read to the end with the cap raised to
//!   fit. Target (issue 4): at least 1 million rows per second.
//!
//! Reports throughput in rows. Run with `cargo bench -p invitekit-benches --bench csv_import`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use invitekit::address::ParseOptions;
use invitekit::csv::{ImportOptions, import};
use invitekit_benches::{DEFAULT_SEED, lines};

/// A CSV file with a header and one row per generated address.
fn file(n: usize) -> Vec<u8> {
    let addresses = lines(n, DEFAULT_SEED);
    let mut out = String::with_capacity(addresses.len() + n * 16);
    out.push_str("Name,Email Address,Role\n");
    for (i, address) in addresses.lines().enumerate() {
        out.push_str(&format!("Client {i},{address},client\n"));
    }
    out.into_bytes()
}

/// Reads the whole file; returns the number of rows.
fn read_all(file: &[u8], options: &ImportOptions) -> usize {
    let mut rows = 0;
    for row in import(file, options).expect("a header names the email column") {
        black_box(row.expect("within the bound"));
        rows += 1;
    }
    rows
}

fn import_1m(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let file = file(N);
    let options = ImportOptions {
        addresses: ParseOptions {
            max_addresses: N,
            ..ParseOptions::default()
        },
        max_bytes: file.len() as u64,
    };
    let rows = read_all(&file, &options);
    if rows != N {
        eprintln!("warning: csv/import_1m: {rows} rows read, the file has {N}");
    }

    let mut group = c.benchmark_group("csv");
    group.throughput(Throughput::Elements(N as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("import_1m", |b| {
        b.iter(|| read_all(black_box(&file), &options))
    });
    group.finish();
}

criterion_group!(benches, import_1m);
criterion_main!(benches);
