//! The Rust side of `benches/compare/run.sh`: makes the corpus, times invitekit and the raw
//! `email_address` crate on it, and prints the comparison table.
//!
//! ```text
//! compare corpus N OUT [--seed S]          write N addresses, one per line, to OUT;
//!                                          print a JSON line describing the corpus
//! compare rust CORPUS [--runs R] [--warmup W]
//!                                          time the Rust contenders; one JSON line each
//! compare table CORPUS_META RESULTS        print the table from the JSON lines
//! compare once CORPUS list|pastes|paste_200|email_address
//!                                          one untimed pass of one Rust contender, for
//!                                          counting its instructions under callgrind
//!                                          (paste_200: the criterion bench's paste, not
//!                                          the corpus)
//! ```
//!
//! Every contender, in every language, prints one JSON line of the same shape:
//! `{"implementation", "version", "addresses", "runs", "best_seconds", "median_seconds",
//! "accepted"}`. Timings are wall-clock, in-process, over the whole corpus; a warm-up pass over
//! the first W addresses (default 20,000) comes first, then R full passes (default 5), and the
//! best pass counts.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use invitekit::address::{AddressList, DEFAULT_MAX_ADDRESSES, ParseOptions, parse};
use invitekit_benches::{AddressKind, Corpus, DEFAULT_SEED};
use serde_json::{Value, json};

const USAGE: &str = "usage:
  compare corpus N OUT [--seed S]
  compare rust CORPUS [--runs R] [--warmup W]
  compare table CORPUS_META RESULTS
  compare once CORPUS list|pastes|paste_200|email_address";

/// Addresses per paste in the "pastes" contender: the product's batch cap.
const PASTE_SIZE: usize = DEFAULT_MAX_ADDRESSES;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("corpus") => corpus(&args[1..]),
        Some("rust") => rust(&args[1..]),
        Some("table") => table(&args[1..]),
        Some("once") => once(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compare: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Positional arguments and `--name value` options.
struct Args<'a> {
    positional: Vec<&'a str>,
    options: Vec<(&'a str, &'a str)>,
}

impl<'a> Args<'a> {
    fn new(args: &'a [String], positional: usize) -> Result<Self, String> {
        let mut parsed = Args {
            positional: Vec::new(),
            options: Vec::new(),
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if let Some(name) = arg.strip_prefix("--") {
                let value = rest.next().ok_or(format!("--{name} needs a value"))?;
                parsed.options.push((name, value));
            } else {
                parsed.positional.push(arg);
            }
        }
        if parsed.positional.len() != positional {
            return Err(USAGE.to_owned());
        }
        Ok(parsed)
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.options.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => parse_number(value),
            None => Ok(default),
        }
    }
}

/// A number, with `_` or `,` allowed between digits (`200_000`).
fn parse_number(text: &str) -> Result<u64, String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    digits.parse().map_err(|_| format!("not a number: {text}"))
}

fn corpus(args: &[String]) -> Result<(), String> {
    let args = Args::new(args, 2)?;
    let n = parse_number(args.positional[0])? as usize;
    let out = args.positional[1];
    let seed = args.number("seed", DEFAULT_SEED)?;

    let mut generator = Corpus::new(seed);
    let mut text = String::with_capacity(n * 32);
    let mut meant_valid = 0usize;
    let mut kinds = [0usize; 4];
    for _ in 0..n {
        let sample = generator.sample();
        meant_valid += usize::from(sample.kind.is_valid());
        kinds[match sample.kind {
            AddressKind::Ascii => 0,
            AddressKind::IdnDomain => 1,
            AddressKind::UnicodeLocal => 2,
            AddressKind::Invalid => 3,
        }] += 1;
        text.push_str(&sample.address);
        text.push('\n');
    }
    std::fs::write(out, &text).map_err(|e| format!("{out}: {e}"))?;
    let meta = json!({
        "corpus": out,
        "addresses": n,
        "seed": seed,
        "bytes": text.len(),
        "meant_valid": meant_valid,
        "kinds": {"ascii": kinds[0], "idn_domain": kinds[1], "unicode_local": kinds[2], "invalid": kinds[3]},
    });
    println!("{meta}");
    Ok(())
}

/// One contender's result, as every runner prints it.
fn result_line(
    implementation: &str,
    version: &str,
    addresses: usize,
    seconds: &[f64],
    accepted: usize,
) -> Value {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    json!({
        "implementation": implementation,
        "version": version,
        "addresses": addresses,
        "runs": seconds.len(),
        "best_seconds": sorted[0],
        "median_seconds": sorted[sorted.len() / 2],
        "accepted": accepted,
    })
}

/// Runs `warm_up` once, then `pass` `runs` times; returns each pass's seconds and the count of
/// accepted addresses, which must be the same every pass.
fn measure(
    runs: usize,
    warm_up: impl FnOnce() -> usize,
    mut pass: impl FnMut() -> usize,
) -> (Vec<f64>, usize) {
    black_box(warm_up());
    let mut seconds = Vec::with_capacity(runs);
    let mut accepted = None;
    for _ in 0..runs {
        let start = Instant::now();
        let count = black_box(pass());
        seconds.push(start.elapsed().as_secs_f64());
        assert!(
            accepted.is_none_or(|a| a == count),
            "accepted count changed between passes"
        );
        accepted = Some(count);
    }
    (seconds, accepted.unwrap_or(0))
}

/// Addresses our parser accepted: unique valid ones and their duplicates (a duplicate is a
/// valid address too; the peers, judging one address at a time, accept it every time).
fn accepted(list: &AddressList) -> usize {
    list.valid + list.duplicates + list.over_limit
}

/// Options that let one list of `addresses` addresses in `bytes` bytes through.
fn raised(addresses: usize, bytes: usize) -> ParseOptions {
    ParseOptions {
        max_addresses: addresses,
        max_input_bytes: bytes,
        ..ParseOptions::default()
    }
}

fn rust(args: &[String]) -> Result<(), String> {
    let args = Args::new(args, 1)?;
    let path = args.positional[0];
    let runs = args.number("runs", 5)?.max(1) as usize;
    let warmup = args.number("warmup", 20_000)? as usize;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let addresses: Vec<&str> = text.lines().collect();
    let n = addresses.len();
    let warm = &addresses[..warmup.min(n)];
    let ours = env!("CARGO_PKG_VERSION");

    // invitekit, the whole corpus as one list.
    let list = addresses.join("\n");
    let warm_list = warm.join("\n");
    let options = raised(n, list.len());
    let check = parse(&list, &options).map_err(|e| e.to_string())?;
    if check.entries.len() != n {
        eprintln!(
            "warning: invitekit found {} entries in {n} lines",
            check.entries.len()
        );
    }
    drop(check);
    let (seconds, count) = measure(
        runs,
        || accepted(&parse(&warm_list, &options).expect("fits")),
        || accepted(&parse(black_box(&list), &options).expect("fits")),
    );
    println!(
        "{}",
        result_line("invitekit parse, one list", ours, n, &seconds, count)
    );
    drop(list);

    // invitekit, the same corpus in pastes of 200 with the default options.
    let defaults = ParseOptions::default();
    let pastes: Vec<String> = addresses
        .chunks(PASTE_SIZE)
        .map(|chunk| chunk.join("\n"))
        .collect();
    let warm_pastes: Vec<String> = warm
        .chunks(PASTE_SIZE)
        .map(|chunk| chunk.join("\n"))
        .collect();
    let parse_all = |pastes: &[String]| -> usize {
        pastes
            .iter()
            .map(|paste| {
                accepted(
                    &parse(black_box(paste), &defaults)
                        .expect("a paste of 200 fits the default bound"),
                )
            })
            .sum()
    };
    let (seconds, count) = measure(runs, || parse_all(&warm_pastes), || parse_all(&pastes));
    println!(
        "{}",
        result_line("invitekit parse, pastes of 200", ours, n, &seconds, count)
    );

    // The raw crate, one address at a time.
    let validate_all = |addresses: &[&str]| -> usize {
        addresses
            .iter()
            .filter(|a| email_address::EmailAddress::is_valid(black_box(a)))
            .count()
    };
    let (seconds, count) = measure(runs, || validate_all(warm), || validate_all(&addresses));
    println!(
        "{}",
        result_line(
            "email_address EmailAddress::is_valid (Rust)",
            "0.2.9",
            n,
            &seconds,
            count
        )
    );
    Ok(())
}

fn once(args: &[String]) -> Result<(), String> {
    let args = Args::new(args, 2)?;
    let path = args.positional[0];
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let addresses: Vec<&str> = text.lines().collect();
    let accepted = match args.positional[1] {
        "list" => {
            let list = addresses.join("\n");
            let options = raised(addresses.len(), list.len());
            accepted(&parse(&list, &options).map_err(|e| e.to_string())?)
        }
        "pastes" => {
            let defaults = ParseOptions::default();
            let mut count = 0;
            for chunk in addresses.chunks(PASTE_SIZE) {
                let paste = chunk.join("\n");
                count += accepted(&parse(&paste, &defaults).map_err(|e| e.to_string())?);
            }
            count
        }
        "paste_200" => {
            // The criterion bench's input: 200 entries with names and mixed separators.
            let paste = invitekit_benches::paste(PASTE_SIZE, DEFAULT_SEED);
            accepted(&parse(&paste, &ParseOptions::default()).map_err(|e| e.to_string())?)
        }
        "email_address" => addresses
            .iter()
            .filter(|a| email_address::EmailAddress::is_valid(a))
            .count(),
        other => return Err(format!("unknown contender {other}\n{USAGE}")),
    };
    println!("{accepted}");
    Ok(())
}

fn read_json_lines(path: &str) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).map_err(|e| format!("{path}: {e}: {line}")))
        .collect()
}

/// The implementation's first word (`invitekit`, `validator.js`, ...), for notes.
fn short_name(result: &Value) -> String {
    let name = result["implementation"].as_str().unwrap_or("?");
    match name.strip_prefix("invitekit parse, ") {
        Some(kind) => format!("invitekit {kind}"),
        None => name.split(' ').next().unwrap_or(name).to_owned(),
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(ours: f64, theirs: f64) -> String {
    let r = ours / theirs;
    if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 10.0 {
        format!("{r:.1}x")
    } else {
        format!("{r:.2}x")
    }
}

/// One line per implementation, in first-seen order: the fastest of its rounds, with the runs
/// of all rounds counted. Every round must have accepted the same number of addresses.
fn best_per_implementation(results: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut best: Vec<Value> = Vec::new();
    for result in results {
        let name = result["implementation"].as_str().unwrap_or("?").to_owned();
        let seconds = |v: &Value| v["best_seconds"].as_f64().unwrap_or(f64::INFINITY);
        match best
            .iter_mut()
            .find(|b| b["implementation"] == name.as_str())
        {
            None => best.push(result),
            Some(kept) => {
                if kept["accepted"] != result["accepted"] {
                    return Err(format!("{name}: accepted counts differ between rounds"));
                }
                let runs =
                    kept["runs"].as_u64().unwrap_or(0) + result["runs"].as_u64().unwrap_or(0);
                if seconds(&result) < seconds(kept) {
                    *kept = result;
                }
                kept["runs"] = json!(runs);
            }
        }
    }
    Ok(best)
}

fn table(args: &[String]) -> Result<(), String> {
    let args = Args::new(args, 2)?;
    let meta = read_json_lines(args.positional[0])?
        .pop()
        .ok_or("no corpus description")?;
    let results = best_per_implementation(read_json_lines(args.positional[1])?)?;
    let field = |value: &Value, name: &str| value[name].as_f64().unwrap_or(f64::NAN);
    let n = field(&meta, "addresses");
    let rate = |result: &Value| field(result, "addresses") / field(result, "best_seconds");
    let find = |prefix: &str| {
        results.iter().find(|r| {
            r["implementation"]
                .as_str()
                .is_some_and(|i| i.starts_with(prefix))
        })
    };
    let ours_list = find("invitekit parse, one list").map(rate);
    let ours_pastes = find("invitekit parse, pastes").map(rate);

    println!(
        "corpus: {} addresses, {} bytes, seed {}, {} meant valid by the generator ({})",
        grouped(n as u64),
        grouped(field(&meta, "bytes") as u64),
        meta["seed"],
        grouped(field(&meta, "meant_valid") as u64),
        Path::new(meta["corpus"].as_str().unwrap_or("?")).display(),
    );
    let passes: Vec<String> = results
        .iter()
        .map(|r| format!("{} {}", r["runs"], short_name(r)))
        .collect();
    println!(
        "addresses per second from the best pass over the whole corpus (timed passes: {})\n",
        passes.join(", ")
    );
    let header = [
        "implementation",
        "version",
        "addresses/s",
        "µs per 200",
        "accepted",
        "ours (list) / theirs",
        "ours (pastes) / theirs",
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for result in &results {
        let r = rate(result);
        let name = result["implementation"].as_str().unwrap_or("?").to_owned();
        let accepted = field(result, "accepted");
        rows.push([
            name,
            result["version"].as_str().unwrap_or("?").to_owned(),
            grouped(r.round() as u64),
            format!("{:.1}", 200.0 / r * 1e6),
            format!(
                "{} ({:.2}%)",
                grouped(accepted as u64),
                100.0 * accepted / field(result, "addresses")
            ),
            ours_list.map_or("-".to_owned(), |o| ratio(o, r)),
            ours_pastes.map_or("-".to_owned(), |o| ratio(o, r)),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let print_row = |cells: &[&str]| {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                if i < 2 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        println!("| {} |", line.join(" | "));
    };
    print_row(&header);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            if i < 2 {
                "-".repeat(w + 2)
            } else {
                format!("{}:", "-".repeat(w + 1))
            }
        })
        .collect();
    println!("|{}|", rule.join("|"));
    for row in &rows {
        print_row(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }

    println!();
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    for (how, rate) in [("one list", ours_list), ("pastes of 200", ours_pastes)] {
        if let Some(rate) = rate {
            println!(
                "target, parse and validate >= 2,000,000 addresses/s on one core, {how}: {} ({})",
                grouped(rate as u64),
                verdict(rate >= 2_000_000.0)
            );
        }
    }
    if let Some(pastes) = ours_pastes {
        let micros = 200.0 / pastes * 1e6;
        println!(
            "target, a 200-address paste in < 100 µs: {micros:.1} µs on average over the corpus ({})",
            verdict(micros < 100.0)
        );
    }
    Ok(())
}
