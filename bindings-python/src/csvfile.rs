//! CSV import of a bulk-invite file (read with the GIL released) and export of the client
//! table.
//!
//! An import keeps its rows in Rust; `CsvImport` hands each out as a dict when it is read, so a
//! million-row file costs no million dicts unless the host asks for them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use invitekit::address::{Counts, DEFAULT_MAX_ADDRESSES, DEFAULT_MAX_INPUT_BYTES};
use invitekit::csv::{
    self, DEFAULT_MAX_BYTES, EXPORT_HEADER, Export, ExportRow, ImportOptions, ImportRow, Layout,
};
use invitekit::lifecycle::StatusKind;
use invitekit::model::Role;
use invitekit::{Error, ErrorCode, ErrorKind};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PySlice, PyString, PyTuple};

use crate::convert::{instant, role_from_py, to_py, type_name};
use crate::errors::to_py_err;
use crate::parse::options;

/// The file handed over from Python, readable without the GIL.
enum Data {
    Text(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl Data {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Text(text) => text.as_bytes(),
            Data::Bytes(bytes) => bytes,
        }
    }
}

// The signature spells the defaults out, so Python sees them (`inspect.signature`, stubtest).
const _: () = assert!(DEFAULT_MAX_BYTES == 268_435_456 && DEFAULT_MAX_ADDRESSES == 200);

/// Reads a bulk-invite CSV file: see `invitekit.import_csv` in the stubs.
#[pyfunction]
#[pyo3(signature = (
    data,
    *,
    max_bytes = 268435456,
    max_addresses = 200,
    case_sensitive_local_part = false,
    allow_quoted_local_part = false,
    allow_ip_literal = false,
    allow_dotless_domain = false,
    allow_comments = false,
    allow_special_use_domains = false,
    allow_invisible_characters = false,
    allow_bidi_controls = false,
    allow_symbols = false,
))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
fn import_csv(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    max_bytes: u64,
    max_addresses: usize,
    case_sensitive_local_part: bool,
    allow_quoted_local_part: bool,
    allow_ip_literal: bool,
    allow_dotless_domain: bool,
    allow_comments: bool,
    allow_special_use_domains: bool,
    allow_invisible_characters: bool,
    allow_bidi_controls: bool,
    allow_symbols: bool,
) -> PyResult<CsvImport> {
    let options = ImportOptions {
        addresses: options(
            max_addresses,
            DEFAULT_MAX_INPUT_BYTES,
            case_sensitive_local_part,
            allow_quoted_local_part,
            allow_ip_literal,
            allow_dotless_domain,
            allow_comments,
            allow_special_use_domains,
            allow_invisible_characters,
            allow_bidi_controls,
            allow_symbols,
        ),
        max_bytes,
    };
    let data = if let Ok(text) = data.cast::<PyString>() {
        // A str has at least as many bytes as code points: refuse a too large one uncopied.
        if u64::try_from(text.len()?).unwrap_or(u64::MAX) > max_bytes {
            return Err(to_py_err(Error::new(ErrorKind::InputTooLarge {
                limit: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            })));
        }
        Data::Text(text.extract()?)
    } else if let Ok(bytes) = data.cast::<PyBytes>() {
        Data::Bytes(bytes.extract()?)
    } else {
        return Err(PyTypeError::new_err(format!(
            "expected bytes or str, got {}",
            type_name(data)
        )));
    };
    // Borrowed, not moved: the Python object is released here, with the GIL held.
    let read = py.detach(|| -> Result<(Layout, Vec<ImportRow>), Error> {
        let import = csv::import(data.bytes(), &options)?;
        let layout = import.layout().clone();
        let rows = import.collect::<Result<Vec<_>, _>>()?;
        Ok((layout, rows))
    });
    let (layout, rows) = read.map_err(to_py_err)?;
    Ok(CsvImport {
        counts: Counts::of(rows.iter().map(|row| row.error)),
        rows: Arc::new(rows),
        layout,
    })
}

/// A row as a dict, in the core's serde form.
fn row_dict<'py>(py: Python<'py>, row: &ImportRow) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("line", row.line)?;
    dict.set_item("raw_email", &row.raw_email)?;
    match &row.email {
        Some(email) => {
            let pair = PyDict::new(py);
            pair.set_item("address", &email.address)?;
            pair.set_item("key", &email.key)?;
            dict.set_item("email", pair)?;
        }
        None => dict.set_item("email", py.None())?,
    }
    dict.set_item("name", row.name.as_deref())?;
    dict.set_item("role", row.role.map(Role::as_str))?;
    dict.set_item("group", row.group.as_deref())?;
    dict.set_item("program", row.program.as_deref())?;
    dict.set_item("error", row.error.map(ErrorCode::as_str))?;
    dict.set_item("duplicate_of_line", row.duplicate_of_line)?;
    Ok(dict)
}

/// The rows of an imported file, each read as a dict, with the counts a form shows.
#[pyclass(frozen, sequence, module = "invitekit")]
pub(crate) struct CsvImport {
    rows: Arc<Vec<ImportRow>>,
    layout: Layout,
    counts: Counts,
}

#[pymethods]
impl CsvImport {
    fn __len__(&self) -> usize {
        self.rows.len()
    }

    fn __getitem__<'py>(&self, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = index.py();
        if let Ok(slice) = index.cast::<PySlice>() {
            let len = isize::try_from(self.rows.len()).unwrap_or(isize::MAX);
            let indices = slice.indices(len)?;
            let list = PyList::empty(py);
            let mut i = indices.start;
            for _ in 0..indices.slicelength {
                if let Some(row) = usize::try_from(i).ok().and_then(|i| self.rows.get(i)) {
                    list.append(row_dict(py, row)?)?;
                }
                i += indices.step;
            }
            return Ok(list.into_any());
        }
        let i: isize = index.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "CsvImport indices must be integers or slices, not {}",
                type_name(index)
            ))
        })?;
        let len = self.rows.len();
        let resolved = if i < 0 {
            len.checked_sub(i.unsigned_abs())
        } else {
            Some(i.unsigned_abs())
        };
        match resolved.and_then(|i| self.rows.get(i)) {
            Some(row) => Ok(row_dict(py, row)?.into_any()),
            None => Err(PyIndexError::new_err("CsvImport index out of range")),
        }
    }

    fn __iter__(&self) -> CsvImportIter {
        CsvImportIter {
            rows: Arc::clone(&self.rows),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<CsvImport {} rows: {} valid, {} invalid, {} duplicates, {} over limit>",
            self.rows.len(),
            self.valid(),
            self.invalid(),
            self.duplicates(),
            self.over_limit()
        )
    }

    /// Every row, as a new list of dicts.
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for row in self.rows.iter() {
            list.append(row_dict(py, row)?)?;
        }
        Ok(list)
    }

    /// The rows with an error (duplicates and over-limit rows included), as dicts.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for row in self.rows.iter().filter(|row| row.error.is_some()) {
            list.append(row_dict(py, row)?)?;
        }
        Ok(list)
    }

    /// Where the columns were found: `delimiter` (one character), `header`, and the 0-based
    /// columns `email`, `name`, `first_name`, `last_name`, `role`, `group`, `program`.
    #[getter]
    fn layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = to_py(py, &self.layout)?;
        dict.set_item("delimiter", char::from(self.layout.delimiter).to_string())?;
        Ok(dict)
    }

    /// Rows with a unique valid address within the cap.
    #[getter]
    fn valid(&self) -> usize {
        self.counts.valid
    }

    /// Rows with an error other than `duplicate` and `over_limit`.
    #[getter]
    fn invalid(&self) -> usize {
        self.counts.invalid
    }

    /// Rows with `duplicate`.
    #[getter]
    fn duplicates(&self) -> usize {
        self.counts.duplicates
    }

    /// Rows with `over_limit`.
    #[getter]
    fn over_limit(&self) -> usize {
        self.counts.over_limit
    }

    /// No invalid and no over-limit rows: the file may be used as a batch.
    #[getter]
    fn acceptable(&self) -> bool {
        self.counts.acceptable()
    }
}

/// An iterator over a `CsvImport`'s rows.
#[pyclass(frozen, module = "invitekit")]
pub(crate) struct CsvImportIter {
    rows: Arc<Vec<ImportRow>>,
    next: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl CsvImportIter {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        use std::sync::atomic::Ordering;
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        match self.rows.get(index) {
            Some(row) => row_dict(py, row).map(Some),
            None => {
                self.next.store(self.rows.len(), Ordering::Relaxed);
                Ok(None)
            }
        }
    }
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

fn optional<'py>(row: &Bound<'py, PyMapping>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    if !row.contains(key)? {
        return Ok(None);
    }
    let value = row.get_item(key)?;
    Ok((!value.is_none()).then_some(value))
}

fn optional_text(row: &Bound<'_, PyMapping>, key: &str) -> PyResult<Option<String>> {
    optional(row, key)?
        .map(|value| {
            value
                .cast::<PyString>()
                .map_err(|_| {
                    PyTypeError::new_err(format!("{key}: expected str, got {}", type_name(&value)))
                })?
                .to_cow()
                .map(|text| text.into_owned())
        })
        .transpose()
}

impl OwnedRow {
    fn from_py(row: &Bound<'_, PyAny>) -> PyResult<Self> {
        let row = row.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(format!(
                "export row: expected a mapping, got {}",
                type_name(row)
            ))
        })?;
        let status = optional_text(row, "status")?.unwrap_or_default();
        // A status code or label is written as its label.
        let status = status
            .parse::<StatusKind>()
            .map_or(status, |kind| kind.label().to_owned());
        let group = match optional(row, "group")? {
            None => String::new(),
            Some(group) => {
                if let Ok(text) = group.cast::<PyString>() {
                    text.to_cow()?.into_owned()
                } else if group.is_instance_of::<PyList>() || group.is_instance_of::<PyTuple>() {
                    group.extract::<Vec<String>>()?.join("; ")
                } else {
                    return Err(PyTypeError::new_err(format!(
                        "group: expected str or a list of str, got {}",
                        type_name(&group)
                    )));
                }
            }
        };
        let instant_of = |key: &str| -> PyResult<Option<DateTime<Utc>>> {
            optional(row, key)?
                .map(|value| instant(&value, key))
                .transpose()
        };
        Ok(OwnedRow {
            name: optional_text(row, "name")?,
            email: optional_text(row, "email")?,
            role: optional(row, "role")?
                .map(|role| role_from_py(&role, "role"))
                .transpose()?,
            status,
            group,
            assigned_staff_email: optional_text(row, "assigned_staff_email")?,
            last_visit: instant_of("last_visit")?,
            created_at: instant_of("created_at")?
                .ok_or_else(|| PyValueError::new_err("export row: created_at is required"))?,
            activated_at: instant_of("activated_at")?,
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

/// Writes the client table as CSV text: see `invitekit.export_csv` in the stubs.
#[pyfunction]
fn export_csv(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut export = Export::new(Vec::new()).map_err(to_py_err)?;
    for row in rows.try_iter()? {
        let row = OwnedRow::from_py(&row?)?;
        export.write(&row.export()).map_err(to_py_err)?;
    }
    let bytes = export.finish().map_err(to_py_err)?;
    String::from_utf8(bytes).map_err(|e| PyValueError::new_err(format!("export: {e}")))
}

/// Adds the CSV functions and classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(import_csv, m)?)?;
    m.add_function(wrap_pyfunction!(export_csv, m)?)?;
    m.add_class::<CsvImport>()?;
    m.add("EXPORT_HEADER", PyTuple::new(m.py(), EXPORT_HEADER)?)?;
    m.add("DEFAULT_MAX_CSV_BYTES", DEFAULT_MAX_BYTES)?;
    Ok(())
}
