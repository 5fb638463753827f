//! CSV import of a bulk-invite file and export of the client table.

use chrono::{DateTime, Utc};
use invitekit::Error;
use invitekit::address::Counts;
use invitekit::csv::{self, DEFAULT_MAX_BYTES, EXPORT_HEADER, Export, ExportRow, ImportOptions};
use invitekit::lifecycle::StatusKind;
use invitekit::model::Role;
use napi::Either;
use napi::bindgen_prelude::{JsObjectValue, Object, Uint8Array, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert::{js_to_value, to_js};
use crate::errors::{invalid_arg, to_napi_err};
use crate::parse::ParseOptions;

/// How `importCsv` reads a file: the parser's options (`maxAddresses` is the cap on valid
/// unique rows; `maxInputBytes` is not used) and the file's bound.
#[napi(object)]
#[derive(Default)]
pub struct ImportCsvOptions {
    /// The largest file accepted, in bytes. Default 268435456 (256 MiB).
    pub max_bytes: Option<f64>,
    /// At most this many unique valid rows; later ones are `over_limit`. Default 200.
    pub max_addresses: Option<u32>,
    /// See `ParseOptions`.
    pub case_sensitive_local_part: Option<bool>,
    /// See `ParseOptions`.
    pub allow_quoted_local_part: Option<bool>,
    /// See `ParseOptions`.
    pub allow_ip_literal: Option<bool>,
    /// See `ParseOptions`.
    pub allow_dotless_domain: Option<bool>,
    /// See `ParseOptions`.
    pub allow_comments: Option<bool>,
    /// See `ParseOptions`.
    pub allow_special_use_domains: Option<bool>,
    /// See `ParseOptions`.
    pub allow_invisible_characters: Option<bool>,
    /// See `ParseOptions`.
    pub allow_bidi_controls: Option<bool>,
    /// See `ParseOptions`.
    pub allow_symbols: Option<bool>,
}

impl ImportCsvOptions {
    fn to_core(&self) -> napi::Result<ImportOptions> {
        let addresses = ParseOptions {
            max_addresses: self.max_addresses,
            max_input_bytes: None,
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
        .to_core();
        let max_bytes = match self.max_bytes {
            None => DEFAULT_MAX_BYTES,
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => {
                // Whole and non-negative, checked above; beyond 2^64 saturates.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = n as u64;
                n
            }
            Some(n) => return Err(invalid_arg(format!("maxBytes: {n} is not a whole number"))),
        };
        Ok(ImportOptions {
            addresses,
            max_bytes,
        })
    }
}

/// Reads a bulk-invite CSV file (text, or UTF-8 bytes in a `Buffer` or `Uint8Array`): the
/// delimiter and columns are found from the first line, and every row is judged with the
/// pasted-list rules, then role, duplicates and the cap. Row errors are in the rows;
/// `input_too_large` and `no_email_column` throw.
#[napi(
    catch_unwind,
    ts_args_type = "data: string | Uint8Array, options?: ImportCsvOptions | null",
    ts_return_type = "CsvImport"
)]
pub fn import_csv<'e>(
    env: &'e Env,
    data: Either<String, Uint8Array>,
    options: Option<ImportCsvOptions>,
) -> napi::Result<Object<'e>> {
    let options = options.unwrap_or_default().to_core()?;
    let bytes: &[u8] = match &data {
        Either::A(text) => text.as_bytes(),
        Either::B(bytes) => bytes,
    };
    let import = csv::import(bytes, &options).map_err(to_napi_err)?;
    let layout = import.layout().clone();
    let rows = import
        .collect::<Result<Vec<_>, Error>>()
        .map_err(to_napi_err)?;
    let counts = Counts::of(rows.iter().map(|row| row.error));
    let errors: Vec<_> = rows.iter().filter(|row| row.error.is_some()).collect();
    let mut object = Object::new(env)?;
    object.set_named_property("rows", to_js(env, &rows)?)?;
    object.set_named_property("errors", to_js(env, &errors)?)?;
    let mut layout_object = to_js(env, &layout)?.coerce_to_object()?;
    layout_object.set_named_property("delimiter", char::from(layout.delimiter).to_string())?;
    object.set_named_property("layout", layout_object)?;
    object.set_named_property("valid", counts.valid as f64)?;
    object.set_named_property("invalid", counts.invalid as f64)?;
    object.set_named_property("duplicates", counts.duplicates as f64)?;
    object.set_named_property("overLimit", counts.over_limit as f64)?;
    object.set_named_property("acceptable", counts.acceptable())?;
    Ok(object)
}

/// One row of an export, owned.
struct OwnedRow {
    name: Option<String>,
    email: Option<String>,
    role: Option<Role>,
    status: String,
    group: String,
    assigned_staff_email: Option<String>,
    last_visit: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
}

fn text(row: &Map<String, Value>, key: &str) -> napi::Result<Option<String>> {
    match row.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid_arg(format!("{key}: expected a string"))),
    }
}

fn instant(row: &Map<String, Value>, key: &str) -> napi::Result<Option<DateTime<Utc>>> {
    text(row, key)?
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|e| invalid_arg(format!("{key}: not a Date or an RFC 3339 instant: {e}")))
        })
        .transpose()
}

impl OwnedRow {
    fn from_js(row: &Unknown<'_>) -> napi::Result<Self> {
        let Value::Object(row) = js_to_value(row, "export row")? else {
            return Err(invalid_arg("export row: expected an object"));
        };
        let status = text(&row, "status")?.unwrap_or_default();
        // A status code or label is written as its label.
        let status = status
            .parse::<StatusKind>()
            .map_or(status, |kind| kind.label().to_owned());
        let group = match row.get("group") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(group)) => group.clone(),
            Some(Value::Array(groups)) => groups
                .iter()
                .map(|group| match group {
                    Value::String(group) => Ok(group.as_str()),
                    _ => Err(invalid_arg(
                        "group: expected a string or an array of strings",
                    )),
                })
                .collect::<napi::Result<Vec<_>>>()?
                .join("; "),
            Some(_) => {
                return Err(invalid_arg(
                    "group: expected a string or an array of strings",
                ));
            }
        };
        Ok(OwnedRow {
            name: text(&row, "name")?,
            email: text(&row, "email")?,
            role: text(&row, "role")?
                .map(|role| role.parse::<Role>().map_err(to_napi_err))
                .transpose()?,
            status,
            group,
            assigned_staff_email: text(&row, "assigned_staff_email")?,
            last_visit: instant(&row, "last_visit")?,
            created_at: instant(&row, "created_at")?
                .ok_or_else(|| invalid_arg("export row: createdAt is required"))?,
            activated_at: instant(&row, "activated_at")?,
        })
    }

    fn export(&self) -> ExportRow<'_> {
        ExportRow {
            name: self.name.as_deref(),
            email: self.email.as_deref(),
            role: self.role,
            status: &self.status,
            group: &self.group,
            assigned_staff_email: self.assigned_staff_email.as_deref(),
            last_visit: self.last_visit,
            created_at: self.created_at,
            activated_at: self.activated_at,
        }
    }
}

/// Writes the client table as CSV text, header first, every cell a spreadsheet would run as a
/// formula neutralized. A row's `status` may be a code or a label; `group` a name or an array of
/// names; instants `Date`s or RFC 3339 text; `createdAt` is required.
#[napi(catch_unwind, ts_args_type = "rows: readonly ExportRow[]")]
pub fn export_csv(rows: Vec<Unknown<'_>>) -> napi::Result<String> {
    let mut export = Export::new(Vec::new()).map_err(to_napi_err)?;
    for row in &rows {
        let row = OwnedRow::from_js(row)?;
        export.write(&row.export()).map_err(to_napi_err)?;
    }
    let bytes = export.finish().map_err(to_napi_err)?;
    String::from_utf8(bytes).map_err(|e| invalid_arg(format!("export: {e}")))
}

/// The export's header, as its first line has it.
#[napi(js_name = "_exportHeader", skip_typescript, catch_unwind)]
pub fn export_header() -> Vec<&'static str> {
    EXPORT_HEADER.to_vec()
}

/// The default bound on an imported file: 256 MiB.
#[napi]
pub const DEFAULT_MAX_CSV_BYTES: u32 = 268_435_456;

const _: () = assert!(DEFAULT_MAX_BYTES == DEFAULT_MAX_CSV_BYTES as u64);
