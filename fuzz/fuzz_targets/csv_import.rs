//! Fuzz `invitekit::csv::import` with arbitrary bytes.
//!
//! The first byte chooses the cap (`max_addresses`, 0 to 15, or the default for 255) and whether
//! the byte bound is 64 bytes instead of the default; the rest is the file. The import must
//! either refuse the file with `no_email_column`, or give rows whose lines increase, whose
//! verdicts agree with their fields, and whose count of valid rows is within the cap; a stop
//! partway must be `input_too_large`, and only when the file is over the bound.

#![no_main]

use invitekit::ErrorCode;
use invitekit::address::ParseOptions;
use invitekit::csv::{ImportOptions, import};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (&settings, file) = data.split_first().unwrap_or((&255, &[]));
    let mut options = ImportOptions::default();
    if settings != 255 {
        options.addresses = ParseOptions {
            max_addresses: usize::from(settings & 0x0f),
            ..ParseOptions::default()
        };
    }
    if settings & 0x40 != 0 {
        options.max_bytes = 64;
    }
    let imported = match import(file, &options) {
        Ok(imported) => imported,
        Err(error) => {
            let over = file.len() as u64 > options.max_bytes;
            assert!(
                error.code() == ErrorCode::NoEmailColumn
                    || (over && error.code() == ErrorCode::InputTooLarge),
                "{error}"
            );
            return;
        }
    };
    let (mut last_line, mut valid) = (0, 0);
    for row in imported {
        match row {
            Ok(row) => {
                assert!(row.line > last_line, "lines go back: {row:?}");
                last_line = row.line;
                match row.error {
                    None => {
                        assert!(row.email.is_some());
                        valid += 1;
                    }
                    Some(ErrorCode::Duplicate) => assert!(row.duplicate_of_line.is_some()),
                    Some(_) => assert!(row.duplicate_of_line.is_none()),
                }
            }
            Err(error) => {
                assert_eq!(error.code(), ErrorCode::InputTooLarge);
                assert!(file.len() as u64 > options.max_bytes);
            }
        }
    }
    assert!(valid <= options.addresses.max_addresses);
});
