//! Replays the language-neutral test vectors in `testdata/` against the Rust core.
//!
//! `testdata/addresses.json` holds the cases for [`invitekit::address::parse`]; the Python, Node
//! and Kotlin suites replay the same file (its format is described in `testdata/README.md`).
//! Every case is checked and every disagreement is reported, so one run shows all that is wrong.
//!
//! `testdata/error_codes.json` is the published list of error codes; it must equal
//! [`ErrorCode::ALL`] with each code's [`ErrorCode::meaning`], in order.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;

use invitekit::ErrorCode;
use invitekit::address::{Entry, ParseOptions, parse};
use serde_json::{Map, Value, json};

/// The file format promises at least this many address cases.
const MIN_CASES: usize = 300;

/// Keys a case object may have.
const CASE_KEYS: &[&str] = &["id", "input", "options", "acceptable", "error", "entries"];

/// Reads and parses a file of `testdata/` (next to `core/`).
fn read_testdata(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// One disagreement between a case and what the parser (or the file itself) says.
struct Failure {
    id: String,
    field: String,
    expected: String,
    actual: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}\n    expected: {}\n    actual:   {}",
            self.id, self.field, self.expected, self.actual
        )
    }
}

/// Collects the failures of every case.
#[derive(Default)]
struct Report {
    failures: Vec<Failure>,
}

impl Report {
    fn fail(
        &mut self,
        id: &str,
        field: impl Into<String>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) {
        self.failures.push(Failure {
            id: id.to_owned(),
            field: field.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }

    /// Panics with every failure, if there are any.
    fn finish(self, what: &str, total: usize) {
        if self.failures.is_empty() {
            return;
        }
        let failed_cases: HashSet<&str> = self.failures.iter().map(|f| f.id.as_str()).collect();
        let details: Vec<String> = self.failures.iter().map(ToString::to_string).collect();
        panic!(
            "{what}: {} failure(s) in {} of {total} case(s):\n\n{}",
            self.failures.len(),
            failed_cases.len(),
            details.join("\n")
        );
    }
}

/// An entry as the JSON object the test vectors describe, built field by field so the check does
/// not depend on how `Entry` is serialized elsewhere.
fn entry_json(entry: &Entry) -> Map<String, Value> {
    let value = json!({
        "index": entry.index(),
        "raw": entry.raw(),
        "start": entry.start(),
        "end": entry.end(),
        "line": entry.line(),
        "column": entry.column(),
        "name": entry.name(),
        "address": entry.address(),
        "normalized": entry.normalized(),
        "key": entry.key(),
        "smtputf8": entry.smtputf8(),
        "error": entry.error().map(ErrorCode::as_str),
        "duplicate_of": entry.duplicate_of(),
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal is an object"),
    }
}

/// Checks one case, adding its failures to `report`.
fn check_case(id: &str, case: &Map<String, Value>, report: &mut Report) {
    for key in case.keys() {
        if !CASE_KEYS.contains(&key.as_str()) {
            report.fail(
                id,
                format!("file format: unknown key {key:?}"),
                "no such key",
                key,
            );
        }
    }
    let Some(input) = case.get("input").and_then(Value::as_str) else {
        report.fail(
            id,
            "file format: input",
            "a string",
            json!(case.get("input")),
        );
        return;
    };
    let options = match case.get("options") {
        None => ParseOptions::default(),
        Some(value) => match serde_json::from_value::<ParseOptions>(value.clone()) {
            Ok(options) => options,
            Err(e) => {
                report.fail(
                    id,
                    "file format: options",
                    "ParseOptions fields",
                    format!("{value} ({e})"),
                );
                return;
            }
        },
    };
    let Some(expected_acceptable) = case.get("acceptable").and_then(Value::as_bool) else {
        report.fail(
            id,
            "file format: acceptable",
            "true or false",
            json!(case.get("acceptable")),
        );
        return;
    };

    let result = parse(input, &options);

    if let Some(expected_error) = case.get("error") {
        if case.contains_key("entries") {
            report.fail(
                id,
                "file format: entries",
                "no entries with \"error\"",
                "entries present",
            );
        }
        if expected_acceptable {
            report.fail(
                id,
                "file format: acceptable",
                "false with \"error\"",
                "true",
            );
        }
        match result {
            Err(error) => {
                let actual = Value::from(error.code().as_str());
                if &actual != expected_error {
                    report.fail(id, "error", expected_error, actual);
                }
            }
            Ok(list) => report.fail(
                id,
                "error",
                expected_error,
                format!("Ok with {} entries", list.entries.len()),
            ),
        }
        return;
    }

    let Some(expected_entries) = case.get("entries").and_then(Value::as_array) else {
        report.fail(
            id,
            "file format: entries",
            "an array (or \"error\")",
            json!(case.get("entries")),
        );
        return;
    };
    let list = match result {
        Ok(list) => list,
        Err(error) => {
            report.fail(id, "parse", "Ok", format!("Err({})", error.code()));
            return;
        }
    };
    if list.acceptable != expected_acceptable {
        report.fail(id, "acceptable", expected_acceptable, list.acceptable);
    }
    if list.entries.len() != expected_entries.len() {
        let raws: Vec<&str> = list.entries.iter().map(|e| e.raw()).collect();
        report.fail(
            id,
            "number of entries",
            expected_entries.len(),
            format!("{} {}", list.entries.len(), json!(raws)),
        );
    }
    for (i, expected) in expected_entries.iter().enumerate() {
        let Some(expected) = expected.as_object() else {
            report.fail(
                id,
                format!("file format: entries[{i}]"),
                "an object",
                expected,
            );
            continue;
        };
        for required in ["raw", "error"] {
            if !expected.contains_key(required) {
                report.fail(
                    id,
                    format!("file format: entries[{i}].{required}"),
                    "present",
                    "missing",
                );
            }
        }
        let Some(actual_entry) = list.entries.get(i) else {
            continue; // already reported as a wrong number of entries
        };
        let actual = entry_json(actual_entry);
        for (field, expected_value) in expected {
            match actual.get(field) {
                None => report.fail(
                    id,
                    format!("file format: entries[{i}].{field}"),
                    "an Entry field",
                    "unknown field",
                ),
                Some(actual_value) if actual_value != expected_value => {
                    report.fail(
                        id,
                        format!("entries[{i}].{field}"),
                        expected_value,
                        actual_value,
                    );
                }
                Some(_) => {}
            }
        }
    }
}

#[test]
fn addresses_json_cases_pass() {
    let doc = read_testdata("addresses.json");
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .expect("addresses.json has a \"cases\" array");
    assert!(
        cases.len() >= MIN_CASES,
        "addresses.json has {} cases; at least {MIN_CASES} are required",
        cases.len()
    );

    let mut report = Report::default();
    let mut ids = HashSet::new();
    for (n, case) in cases.iter().enumerate() {
        let Some(case) = case.as_object() else {
            report.fail(&format!("cases[{n}]"), "file format", "an object", case);
            continue;
        };
        let Some(id) = case.get("id").and_then(Value::as_str) else {
            report.fail(
                &format!("cases[{n}]"),
                "file format: id",
                "a string",
                json!(case.get("id")),
            );
            continue;
        };
        if !ids.insert(id) {
            report.fail(id, "file format: id", "unique", "used by an earlier case");
        }
        check_case(id, case, &mut report);
    }
    report.finish("testdata/addresses.json", cases.len());
}

#[test]
fn error_codes_json_lists_every_code_in_order() {
    let doc = read_testdata("error_codes.json");
    let listed = doc
        .get("codes")
        .and_then(Value::as_array)
        .expect("error_codes.json has a \"codes\" array");
    let mut report = Report::default();
    if listed.len() != ErrorCode::ALL.len() {
        report.fail(
            "error_codes.json",
            "number of codes",
            ErrorCode::ALL.len(),
            listed.len(),
        );
    }
    for (i, &code) in ErrorCode::ALL.iter().enumerate() {
        let Some(item) = listed.get(i) else {
            report.fail(&format!("codes[{i}]"), "code", code.as_str(), "missing");
            continue;
        };
        let expected = json!({ "code": code.as_str(), "meaning": code.meaning() });
        if item != &expected {
            report.fail(&format!("codes[{i}]"), "entry", expected, item);
        }
    }
    for (i, item) in listed.iter().enumerate().skip(ErrorCode::ALL.len()) {
        report.fail(
            &format!("codes[{i}]"),
            "entry",
            "nothing (not in ErrorCode::ALL)",
            item,
        );
    }
    report.finish("testdata/error_codes.json", ErrorCode::ALL.len());
}
