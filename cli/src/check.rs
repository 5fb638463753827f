//! `invitekit check [FILE|-]`: check a pasted list of addresses.
//!
//! Reads the list from FILE, or from standard input when FILE is `-` or absent, never more than
//! `--max-bytes` + 1 bytes, and hands the bytes to [`invitekit::address::parse_bytes`]. Every
//! verdict (what is valid, what repeats what, whether the batch is acceptable) is the core's;
//! this module only converts flags into [`ParseOptions`] and prints the answer, as lines of text
//! or as one JSON document (`--json`, the serialized [`AddressList`]).
//!
//! Exit status: 0 when the batch is acceptable; 1 when it is not, or when the input as a whole is
//! refused (`input_too_large`, `invalid_utf8`); 2 on a usage error (bad flags, an unreadable
//! FILE) or when the answer could not be written.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use invitekit::address::{
    AddressList, DEFAULT_MAX_ADDRESSES, DEFAULT_MAX_INPUT_BYTES, Entry, MAX_INPUT_CEILING,
    ParseOptions, parse_bytes,
};
use invitekit::{Error, ErrorCode};

use crate::term::{ColorChoice, GREEN, Paint, RED, YELLOW, printable};

/// The flags of `invitekit check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The file holding the list; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// Set from the global `--json`: print one JSON document (the entries and the counts).
    #[arg(skip)]
    pub json: bool,

    /// At most N unique valid addresses; later ones are over the limit.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ADDRESSES)]
    max: usize,

    /// Refuse an input longer than N bytes (input_too_large), without reading past it.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_INPUT_BYTES)]
    max_bytes: usize,

    /// Compare the parts before the @ case-sensitively when looking for duplicates.
    #[arg(long)]
    case_sensitive_local_part: bool,

    /// Accept a quoted part before the @ ("john doe"@example.com).
    #[arg(long)]
    allow_quoted_local_part: bool,

    // Help given as a string: rustdoc would read the brackets as links.
    #[arg(
        long,
        help = "Accept IP literals as domains (user@[192.0.2.1], user@[IPv6:2001:db8::1])"
    )]
    allow_ip_literal: bool,

    /// Accept domains without a dot (user@intranet).
    #[arg(long)]
    allow_dotless_domain: bool,

    /// Accept comments inside the address (john(work)@example.com).
    #[arg(long)]
    allow_comments: bool,

    /// Accept special-use domains (.local .test .invalid .onion .localhost .arpa).
    #[arg(long)]
    allow_special_use_domains: bool,

    /// Accept invisible characters such as zero-width spaces in addresses.
    #[arg(long)]
    allow_invisible_characters: bool,

    /// Accept text-direction control characters in addresses.
    #[arg(long)]
    allow_bidi_controls: bool,

    /// Accept emoji and other symbol characters in addresses.
    #[arg(long)]
    allow_symbols: bool,

    /// When to color the text output (the global `--color`).
    #[arg(skip = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

impl CheckArgs {
    /// The parse options these flags ask for.
    fn options(&self) -> ParseOptions {
        ParseOptions {
            max_addresses: self.max,
            max_input_bytes: self.max_bytes,
            case_sensitive_local_part: self.case_sensitive_local_part,
            allow_quoted_local_part: self.allow_quoted_local_part,
            allow_ip_literal: self.allow_ip_literal,
            allow_dotless_domain: self.allow_dotless_domain,
            allow_comments: self.allow_comments,
            allow_special_use_domains: self.allow_special_use_domains,
            allow_invisible_characters: self.allow_invisible_characters,
            allow_bidi_controls: self.allow_bidi_controls,
            allow_symbols: self.allow_symbols,
        }
    }
}

const EXIT_ACCEPTABLE: u8 = 0;
const EXIT_NOT_ACCEPTABLE: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Runs `invitekit check` and returns its exit status.
pub fn run(args: &CheckArgs) -> ExitCode {
    let bytes = match read_input(args.file.as_deref(), args.max_bytes) {
        Ok(bytes) => bytes,
        Err(message) => {
            complain(&message);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (written, status) = match parse_bytes(&bytes, &args.options()) {
        Ok(list) => {
            let written = if args.json {
                write_json(&mut out, &list)
            } else {
                write_text(
                    &mut out,
                    &list,
                    Paint {
                        enabled: args.color.enabled(),
                    },
                )
            };
            let status = if list.acceptable {
                EXIT_ACCEPTABLE
            } else {
                EXIT_NOT_ACCEPTABLE
            };
            (written, status)
        }
        Err(error) => {
            let written = if args.json {
                write_json_error(&mut out, &error)
            } else {
                complain(&error.to_string());
                Ok(())
            };
            (written, EXIT_NOT_ACCEPTABLE)
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(status),
        // The reader went away (`invitekit check list.txt | head`): the verdict still stands.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(status),
        Err(error) => {
            complain(&format!("cannot write the answer: {error}"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints a message on stderr; if even that fails there is nobody left to tell.
fn complain(message: &str) {
    let _ = writeln!(io::stderr().lock(), "invitekit check: {message}");
}

/// Reads FILE (or stdin for `-` or no FILE), at most `max_bytes + 1` bytes (and never more than
/// one byte past the core's [`MAX_INPUT_CEILING`]): enough for the core to see that an input is
/// too large, and never more.
///
/// # Errors
///
/// A message naming what could not be opened or read.
fn read_input(file: Option<&Path>, max_bytes: usize) -> Result<Vec<u8>, String> {
    let limit = u64::try_from(max_bytes.min(MAX_INPUT_CEILING))
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    match file {
        None => read_bounded(io::stdin().lock(), limit, &mut bytes, "standard input"),
        Some(path) if path == Path::new("-") => {
            read_bounded(io::stdin().lock(), limit, &mut bytes, "standard input")
        }
        Some(path) => {
            let name = format!("{}", path.display());
            let file = File::open(path).map_err(|error| format!("cannot open {name}: {error}"))?;
            read_bounded(file, limit, &mut bytes, &name)
        }
    }?;
    Ok(bytes)
}

fn read_bounded(
    source: impl Read,
    limit: u64,
    bytes: &mut Vec<u8>,
    name: &str,
) -> Result<(), String> {
    source
        .take(limit)
        .read_to_end(bytes)
        .map(|_| ())
        .map_err(|error| format!("cannot read {name}: {error}"))
}

/// The JSON document of a parsed list: [`AddressList`] as it serializes.
fn write_json(out: &mut impl Write, list: &AddressList) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, list)?;
    writeln!(out)
}

/// The JSON document of a refused input: `{"error": {"code": ..., "message": ...}}`.
fn write_json_error(out: &mut impl Write, error: &Error) -> io::Result<()> {
    let document = serde_json::json!({
        "error": { "code": error.code().as_str(), "message": error.to_string() }
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// One line per entry, then the summary:
///
/// ```text
///   1:1   jane@example.com  ✓ jane@example.com
///   2:14  bob@  ✗ missing_domain: nothing after the @
///   3:1   Jane@Example.com  = duplicate: the same address appears earlier in the list (1:1)
/// 1 valid, 1 invalid, 1 duplicate, 0 over limit: not acceptable
/// ```
fn write_text(out: &mut impl Write, list: &AddressList, paint: Paint) -> io::Result<()> {
    let width = list
        .entries
        .iter()
        .map(|entry| position(entry).len())
        .max()
        .unwrap_or(0);
    for entry in &list.entries {
        let at = position(entry);
        let raw = printable(entry.raw());
        let verdict = match entry.error() {
            None => {
                let normalized = entry.normalized().unwrap_or(entry.raw());
                paint.paint(GREEN, &format!("✓ {}", printable(normalized)))
            }
            Some(ErrorCode::Duplicate) => {
                let first = match entry
                    .duplicate_of()
                    .and_then(|index| list.entries.get(index))
                {
                    Some(first) => format!(" ({})", position(first)),
                    None => String::new(),
                };
                let code = ErrorCode::Duplicate;
                paint.paint(YELLOW, &format!("= {code}: {}{first}", code.meaning()))
            }
            Some(code) => paint.paint(RED, &format!("✗ {code}: {}", code.meaning())),
        };
        let raw = match entry.error() {
            None | Some(ErrorCode::Duplicate) => raw,
            Some(_) => paint.paint(RED, &raw),
        };
        writeln!(out, "  {at:<width$}  {raw}  {verdict}")?;
    }
    let verdict = if list.acceptable {
        paint.paint(GREEN, "acceptable")
    } else {
        paint.paint(RED, "not acceptable")
    };
    let duplicates = if list.duplicates == 1 {
        "duplicate"
    } else {
        "duplicates"
    };
    writeln!(
        out,
        "{} valid, {} invalid, {} {duplicates}, {} over limit: {verdict}",
        list.valid, list.invalid, list.duplicates, list.over_limit
    )
}

/// `line:column` of an entry.
fn position(entry: &Entry) -> String {
    format!("{}:{}", entry.line(), entry.column())
}
