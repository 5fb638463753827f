//! End-to-end tests of `invitekit check`: the built binary, fed through stdin or a file.

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread;

use serde_json::Value;

/// Runs `invitekit ARGS` with `stdin` as standard input (written from a thread, so a child that
/// stops reading early cannot block the test) and without NO_COLOR in its environment.
fn invitekit(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_invitekit"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let writer = thread::spawn(move || {
        // The child may exit without reading everything; that is its right.
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("the binary runs");
    writer.join().expect("the writer thread does not panic");
    output
}

fn check(args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    invitekit(&all, stdin.as_bytes())
}

fn status(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("the binary exits with a status, not a signal")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is one JSON document ({error}): {}", stdout(output)))
}

/// The one line of the text output that mentions `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    let lines: Vec<&str> = text.lines().filter(|line| line.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "one line mentions {needle:?} in:\n{text}");
    lines[0]
}

/// The last line of the text output: the summary.
fn summary(output: &Output) -> String {
    stdout(output).lines().last().unwrap_or_default().to_owned()
}

fn temporary_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, contents).expect("the temporary file is written");
    path
}

#[test]
fn an_acceptable_list_exits_0_and_prints_each_normalized_address() {
    let output = check(&[], "jane@example.com, Bob <Bob@Example.ORG>\n");
    assert_eq!(status(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        line_with(&text, "1:1 ").contains("✓ jane@example.com"),
        "{text}"
    );
    assert!(
        line_with(&text, "1:19").contains("✓ Bob@example.org"),
        "{text}"
    );
    assert_eq!(
        summary(&output),
        "2 valid, 0 invalid, 0 duplicates, 0 over limit: acceptable"
    );
}

#[test]
fn one_invalid_entry_exits_1_and_is_named_with_line_column_and_reason() {
    let output = check(&[], "jane@example.com\nbob@example.org, carol@\n");
    assert_eq!(status(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    let carol = line_with(&text, "carol@");
    assert!(carol.trim_start().starts_with("2:18 "), "{carol}");
    assert!(
        carol.contains("✗ missing_domain: nothing after the @"),
        "{carol}"
    );
    assert!(line_with(&text, "bob@example.org").contains('✓'), "{text}");
    assert_eq!(
        summary(&output),
        "2 valid, 1 invalid, 0 duplicates, 0 over limit: not acceptable"
    );
}

#[test]
fn a_duplicate_names_the_entry_it_repeats() {
    let output = check(&[], "jane@example.com\n  JANE@example.com\n");
    assert_eq!(status(&output), 0, "duplicates are merged, not refused");
    let text = stdout(&output);
    let repeat = line_with(&text, "JANE@");
    assert!(repeat.trim_start().starts_with("2:3 "), "{repeat}");
    assert!(repeat.contains("duplicate: the same address appears earlier in the list (1:1)"));
    assert_eq!(
        summary(&output),
        "1 valid, 0 invalid, 1 duplicate, 0 over limit: acceptable"
    );
}

#[test]
fn json_prints_the_public_document_with_byte_offsets_and_nulls() {
    let input = "jürgen.müller@example.com, bob@\nhello jürgen.müller@EXAMPLE.com";
    let output = check(&["--json"], input);
    assert_eq!(status(&output), 1);
    let document = json(&output);

    assert_eq!(document["acceptable"], Value::Bool(false));
    assert_eq!(document["valid"], 1);
    assert_eq!(document["invalid"], 2);
    assert_eq!(document["duplicates"], 1);
    assert_eq!(document["over_limit"], 0);
    let entries = document["entries"].as_array().expect("entries is an array");
    assert_eq!(entries.len(), 4);
    let keys = [
        "index",
        "raw",
        "start",
        "end",
        "line",
        "column",
        "address",
        "normalized",
        "error",
        "duplicate_of",
    ];
    for (index, entry) in entries.iter().enumerate() {
        for key in keys {
            assert!(
                entry.get(key).is_some(),
                "entry {index} lacks {key}: {entry}"
            );
        }
        assert_eq!(entry["index"], index);
        let start = entry["start"].as_u64().expect("start is a number") as usize;
        let end = entry["end"].as_u64().expect("end is a number") as usize;
        assert_eq!(
            Some(&input.as_bytes()[start..end]),
            entry["raw"].as_str().map(str::as_bytes)
        );
    }

    // "jürgen.müller" is 13 characters in 15 bytes: offsets count bytes, columns characters.
    let jurgen = &entries[0];
    assert_eq!(
        (&jurgen["start"], &jurgen["end"]),
        (&Value::from(0), &Value::from(27))
    );
    assert_eq!(jurgen["normalized"], "jürgen.müller@example.com");
    assert_eq!(jurgen["address"], "jürgen.müller@example.com");
    assert_eq!(
        (&jurgen["error"], &jurgen["duplicate_of"]),
        (&Value::Null, &Value::Null)
    );

    let bob = &entries[1];
    assert_eq!(
        (&bob["start"], &bob["end"]),
        (&Value::from(29), &Value::from(33))
    );
    assert_eq!(
        (&bob["line"], &bob["column"]),
        (&Value::from(1), &Value::from(28))
    );
    assert_eq!(bob["error"], "missing_domain");
    assert_eq!(bob["address"], "bob@");
    assert_eq!(
        (&bob["normalized"], &bob["duplicate_of"]),
        (&Value::Null, &Value::Null)
    );

    let hello = &entries[2];
    assert_eq!(
        (&hello["line"], &hello["column"]),
        (&Value::from(2), &Value::from(1))
    );
    assert_eq!(hello["error"], "not_an_address");
    assert_eq!(
        (&hello["address"], &hello["normalized"]),
        (&Value::Null, &Value::Null)
    );

    let again = &entries[3];
    assert_eq!(again["error"], "duplicate");
    assert_eq!(again["duplicate_of"], 0);
    assert_eq!(again["address"], "jürgen.müller@EXAMPLE.com");
}

#[test]
fn a_file_is_read_instead_of_standard_input() {
    let path = temporary_file("check-file.txt", b"ann@example.com; ben@example.com\n");
    let path = path.to_str().expect("the temporary path is UTF-8");
    let output = check(&[path], "not from stdin");
    assert_eq!(status(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("✓ ann@example.com") && text.contains("✓ ben@example.com"),
        "{text}"
    );
    assert!(!text.contains("stdin"), "{text}");
}

#[test]
fn a_dash_or_no_file_reads_standard_input() {
    for args in [&["-"][..], &[]] {
        let output = check(args, "ann@example.com, nobody");
        assert_eq!(status(&output), 1, "{args:?}");
        let text = stdout(&output);
        assert!(text.contains("✓ ann@example.com"), "{args:?}: {text}");
        assert!(
            line_with(&text, "nobody").contains("not_an_address"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn max_puts_later_addresses_over_the_limit_and_exits_1() {
    let input = "a@example.com b@example.com a@example.com c@example.com";
    assert_eq!(status(&check(&[], input)), 0);
    assert_eq!(status(&check(&["--max", "3"], input)), 0);

    let output = check(&["--max", "2", "--json"], input);
    assert_eq!(status(&output), 1);
    let document = json(&output);
    assert_eq!(document["over_limit"], 1);
    assert_eq!(document["valid"], 2);
    assert_eq!(document["entries"][3]["error"], "over_limit");

    let output = check(&["--max", "2"], input);
    assert!(line_with(&stdout(&output), "c@").contains("over_limit"));
    assert!(summary(&output).ends_with("1 over limit: not acceptable"));
}

#[test]
fn max_bytes_refuses_a_larger_input_with_input_too_large() {
    let exactly_100 = format!("{:<100}", "ann@example.com");
    assert_eq!(status(&check(&["--max-bytes", "100"], &exactly_100)), 0);

    let over = format!("{exactly_100}x");
    let output = check(&["--max-bytes", "100"], &over);
    assert_eq!(status(&output), 1);
    assert!(
        stderr(&output).contains("input_too_large"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));

    let output = check(&["--max-bytes", "100", "--json"], &over);
    assert_eq!(status(&output), 1);
    let document = json(&output);
    assert_eq!(document["error"]["code"], "input_too_large");
    assert!(
        document["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("100 bytes"))
    );
    assert_eq!(document.as_object().map(|o| o.len()), Some(1), "{document}");
}

#[test]
fn a_huge_input_is_refused_without_being_read() {
    const TOTAL: usize = 50 * 1024 * 1024;
    let mut child = Command::new(env!("CARGO_BIN_EXE_invitekit"))
        .args(["check", "--max-bytes", "100", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let writer = thread::spawn(move || {
        let chunk = vec![b'a'; 64 * 1024];
        let mut written = 0;
        while written < TOTAL {
            match input.write(&chunk) {
                Ok(n) => written += n,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return (written, Some(error.kind())),
            }
        }
        (written, None)
    });
    let output = child.wait_with_output().expect("the binary runs");
    let (written, failure) = writer.join().expect("the writer thread does not panic");

    assert_eq!(status(&output), 1);
    assert_eq!(json(&output)["error"]["code"], "input_too_large");
    // The command stopped reading and exited, so the rest of the input had nowhere to go.
    assert_eq!(
        failure,
        Some(ErrorKind::BrokenPipe),
        "wrote {written} bytes"
    );
    assert!(written < TOTAL, "all {written} bytes were read");
}

#[test]
fn invalid_utf8_exits_1_with_invalid_utf8() {
    let input = b"jane@example.com \xff\xfe bob@example.com";
    let output = invitekit(&["check"], input);
    assert_eq!(status(&output), 1);
    assert!(
        stderr(&output).contains("invalid_utf8"),
        "{}",
        stderr(&output)
    );

    let output = invitekit(&["check", "--json"], input);
    assert_eq!(status(&output), 1);
    assert_eq!(json(&output)["error"]["code"], "invalid_utf8");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["check", "--frobnicate"][..],
        &["check", "--max", "many"],
        &["check", "--max-bytes", "-1"],
        &["check", "a.txt", "b.txt"],
        &[],
        &["frobnicate"],
    ] {
        let output = invitekit(args, b"jane@example.com");
        assert_eq!(status(&output), 2, "{args:?}");
        assert!(!stderr(&output).is_empty(), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn a_missing_or_unreadable_file_exits_2() {
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-list.txt");
    let folder = env!("CARGO_TARGET_TMPDIR");
    for path in [missing.to_str().expect("UTF-8 path"), folder] {
        let output = check(&[path, "--json"], "jane@example.com");
        assert_eq!(status(&output), 2, "{path}");
        assert!(
            stderr(&output).contains(path),
            "{path}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{path}");
    }
}

/// The error of the only entry of `input` checked with `flags`.
fn only_error(flags: &[&str], input: &str) -> (i32, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(flags);
    let output = check(&args, input);
    let document = json(&output);
    assert_eq!(
        document["entries"].as_array().map(Vec::len),
        Some(1),
        "{document}"
    );
    (status(&output), document["entries"][0]["error"].clone())
}

#[test]
fn each_allow_flag_turns_its_refusal_into_a_valid_address() {
    let cases = [
        (
            "--allow-quoted-local-part",
            "\"john doe\"@example.com",
            "quoted_local_part",
        ),
        ("--allow-ip-literal", "user@[192.0.2.1]", "ip_literal"),
        ("--allow-dotless-domain", "user@intranet", "dotless_domain"),
        ("--allow-comments", "john(work)@example.com", "comment"),
        (
            "--allow-special-use-domains",
            "user@example.test",
            "special_use_domain",
        ),
        (
            "--allow-invisible-characters",
            "jo\u{200b}hn@example.com",
            "invisible_character",
        ),
        (
            "--allow-bidi-controls",
            "jo\u{202e}hn@example.com",
            "bidi_control",
        ),
        (
            "--allow-symbols",
            "jo\u{1f600}hn@example.com",
            "symbol_character",
        ),
    ];
    for (flag, input, refusal) in cases {
        assert_eq!(
            only_error(&[], input),
            (1, Value::from(refusal)),
            "{input} without {flag}"
        );
        assert_eq!(
            only_error(&[flag], input),
            (0, Value::Null),
            "{input} with {flag}"
        );
    }
}

#[test]
fn case_sensitive_local_part_keeps_case_variants_apart() {
    let input = "Jane@example.com jane@example.com";
    let document = json(&check(&["--json"], input));
    assert_eq!(
        (&document["valid"], &document["duplicates"]),
        (&Value::from(1), &Value::from(1))
    );
    let document = json(&check(&["--json", "--case-sensitive-local-part"], input));
    assert_eq!(
        (&document["valid"], &document["duplicates"]),
        (&Value::from(2), &Value::from(0))
    );
}

#[test]
fn no_color_codes_unless_stdout_is_a_terminal_or_color_is_forced() {
    let input = "jane@example.com bob@";
    let piped = stdout(&check(&[], input));
    assert!(!piped.contains('\x1b'), "{piped:?}");
    assert!(piped.contains("bob@"), "{piped:?}");

    let forced = stdout(&check(&["--color", "always"], input));
    assert!(
        line_with(&forced, "bob@").contains("\x1b[31m"),
        "{forced:?}"
    );
    let never = stdout(&check(&["--color", "never"], input));
    assert_eq!(never, piped);
}

#[test]
fn control_characters_in_the_input_are_shown_escaped() {
    let output = check(&[], "jane\x1b[2J@example.com");
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(text.contains("jane\\u{1b}[2J@example.com"), "{text:?}");
}
