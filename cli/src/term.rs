//! Terminal output: colors (`--color`), aligned tables, and progress bars for long imports and
//! sends.
//!
//! Colors and bars are for people: colors go to standard output only when it is a terminal (or
//! `--color always`), and bars to standard error only when it is a terminal and the output is not
//! `--json`. Piped output is plain text, and `--json` is the interface for programs.

use std::io::{self, IsTerminal as _, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invitekit::Error;
use invitekit::lifecycle::StatusKind;
use invitekit::mailer::{Mailer, OutboxMessage};

/// The `--color` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when standard output is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    /// Whether standard output gets colors.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            }
        }
    }
}

/// Writes one line on standard output. A reader that went away (`invitekit list | head`) is no
/// error: the command's work is done, so the rest of the output is dropped quietly. Another write
/// failure is told on standard error.
pub fn say_line(text: std::fmt::Arguments<'_>) {
    if let Err(error) = writeln!(io::stdout().lock(), "{text}")
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(
            io::stderr().lock(),
            "invitekit: cannot write the answer: {error}"
        );
    }
}

/// `println!` that never panics: see [`say_line`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// A writer that notes when its reader went away (a broken pipe), so that the command can tell
/// that from a real write failure.
#[derive(Debug)]
pub struct PipeWriter<W> {
    inner: W,
    closed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<W: Write> PipeWriter<W> {
    /// Wraps `inner`; `closed` becomes true on a broken pipe.
    pub fn new(inner: W, closed: std::rc::Rc<std::cell::Cell<bool>>) -> Self {
        PipeWriter { inner, closed }
    }

    fn note<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if let Err(error) = &result
            && error.kind() == io::ErrorKind::BrokenPipe
        {
            self.closed.set(true);
        }
        result
    }
}

impl<W: Write> Write for PipeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

/// Red: refused, invalid, expired.
pub const RED: &str = "\x1b[31m";
/// Green: done, valid, activated.
pub const GREEN: &str = "\x1b[32m";
/// Yellow: waiting, repeated.
pub const YELLOW: &str = "\x1b[33m";
/// Dim: archived, secondary.
pub const DIM: &str = "\x1b[2m";
/// Bold: table headers.
pub const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// ANSI colors, or none.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    /// Whether escapes are written.
    pub enabled: bool,
}

impl Paint {
    /// `text` in `color` (one of the constants above), or as it is when disabled.
    pub fn paint(self, color: &str, text: &str) -> String {
        if self.enabled && !color.is_empty() {
            format!("{color}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// The color a status is shown in.
pub fn status_color(kind: StatusKind) -> &'static str {
    match kind {
        StatusKind::Activated => GREEN,
        StatusKind::InvitePending => YELLOW,
        StatusKind::InviteExpired => RED,
        StatusKind::Archived => DIM,
        StatusKind::Provisioned => "",
    }
}

/// A table cell with a client's address, or `-` for a client without one.
pub fn address_cell(client: &invitekit::model::Client) -> (String, &'static str) {
    let address = client.email.as_ref().map_or("-", |e| e.address.as_str());
    (address.to_owned(), "")
}

/// The text with control, invisible and direction-changing characters written as `\u{…}`
/// escapes, so that what is printed is what was typed and cannot steer the terminal.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '"' | '\'' | '\\') {
            shown.push(character);
        } else {
            // The escape of `character` after an `x`, with the `x` left out.
            let pair: String = ['x', character].into_iter().collect();
            shown.extend(pair.escape_debug().skip(1));
        }
    }
    shown
}

/// Rows printed as aligned columns under a bold header, each cell in its own color.
#[derive(Debug)]
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<(String, &'static str)>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of (text, color) cells; the text is made [`printable`].
    pub fn row(&mut self, cells: Vec<(String, &'static str)>) {
        self.rows
            .push(cells.into_iter().map(|(t, c)| (printable(&t), c)).collect());
    }

    /// Writes the table (nothing when it has no row), two spaces between columns.
    ///
    /// # Errors
    ///
    /// The writer's.
    pub fn write(&self, out: &mut impl Write, paint: Paint) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, (text, _)) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(text.chars().count());
                }
            }
        }
        let line = |out: &mut dyn Write, cells: Vec<(&str, &str)>| -> io::Result<()> {
            let last = cells.len().saturating_sub(1);
            let mut text = String::new();
            for (i, (cell, color)) in cells.into_iter().enumerate() {
                text.push_str(&paint.paint(color, cell));
                if i < last {
                    let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count();
                    text.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, self.header.iter().map(|h| (*h, BOLD)).collect())?;
        for row in &self.rows {
            line(out, row.iter().map(|(t, c)| (t.as_str(), *c)).collect())?;
        }
        Ok(())
    }

    /// Prints the table on standard output. A reader that went away (`invitekit list | head`)
    /// is not an error: the command's work is done.
    ///
    /// # Errors
    ///
    /// [`invitekit::ErrorKind::WriteFailed`] when standard output cannot be written.
    pub fn print(&self, paint: Paint) -> Result<(), Error> {
        let mut out = io::BufWriter::new(io::stdout().lock());
        match self.write(&mut out, paint).and_then(|()| out.flush()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                Err(Error::new(invitekit::ErrorKind::WriteFailed {
                    message: e.to_string(),
                }))
            }
            _ => Ok(()),
        }
    }
}

/// Batches up to this many rows run without a bar.
pub const PROGRESS_THRESHOLD: u64 = 1_000;

/// One progress bar on standard error for a command's long work: reading rows, saving them,
/// then sending mail. Hidden (every call a no-op) unless made by [`Progress::for_terminal`] on a terminal.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    /// Whether the bar draws at all.
    enabled: bool,
    /// How many messages the command expects to send (0: no bar for sending).
    mail: Arc<AtomicU64>,
    /// Whether the bar has switched to "sending".
    sending: Arc<AtomicBool>,
}

impl Progress {
    /// A bar that never draws.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            enabled: false,
            mail: Arc::default(),
            sending: Arc::default(),
        }
    }

    /// A bar that draws on standard error when it is a terminal and `json` is off.
    pub fn for_terminal(json: bool) -> Progress {
        if json || !io::stderr().is_terminal() {
            return Progress::hidden();
        }
        Progress {
            // Drawn from the first phase on, once its style and length are set.
            bar: ProgressBar::hidden(),
            enabled: true,
            mail: Arc::default(),
            sending: Arc::default(),
        }
    }

    /// Whether anything is drawn.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn phase(&self, message: &'static str, length: Option<u64>) {
        if !self.enabled {
            return;
        }
        match length {
            Some(length) => {
                self.bar.disable_steady_tick();
                self.bar.set_length(length);
            }
            None => self.bar.unset_length(),
        }
        self.bar.set_position(0);
        self.bar.set_message(message);
        let style = match length {
            Some(_) => ProgressStyle::with_template(
                "{msg:>9} [{wide_bar}] {human_pos}/{human_len}, {eta} left",
            ),
            None => ProgressStyle::with_template("{spinner} {msg} {human_pos} rows, {elapsed}"),
        };
        if let Ok(style) = style {
            self.bar.set_style(style.progress_chars("=> "));
        }
        if self.bar.is_hidden() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if length.is_none() {
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    /// Shows "reading" over `rows` rows, when there are more than [`PROGRESS_THRESHOLD`].
    pub fn reading(&self, rows: u64) {
        if rows > PROGRESS_THRESHOLD {
            self.phase("reading", Some(rows));
        }
    }

    /// Shows "saving" (a spinner: one transaction has no steps to count).
    pub fn saving(&self) {
        if self
            .bar
            .length()
            .is_some_and(|rows| rows > PROGRESS_THRESHOLD)
        {
            let rows = self.bar.length().unwrap_or(0);
            self.phase("saving", None);
            self.bar.set_position(rows);
        }
    }

    /// Expects up to `messages` deliveries: the first one switches the bar to "sending" when
    /// there are more than [`PROGRESS_THRESHOLD`].
    pub fn expect_mail(&self, messages: u64) {
        self.mail.store(messages, Ordering::Relaxed);
    }

    /// One delivery done (or failed).
    fn delivered(&self) {
        if !self.enabled {
            return;
        }
        let expected = self.mail.load(Ordering::Relaxed);
        if expected > PROGRESS_THRESHOLD && !self.sending.swap(true, Ordering::Relaxed) {
            self.phase("sending", Some(expected));
        }
        self.bar.inc(1);
    }

    /// Advances by `n` rows or messages.
    pub fn advance(&self, n: u64) {
        if self.enabled {
            self.bar.inc(n);
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if self.enabled {
            self.bar.finish_and_clear();
        }
    }
}

/// Counts the lines read through it on a [`Progress`].
#[derive(Debug)]
pub struct CountingReader<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> CountingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, progress: Progress) -> Self {
        CountingReader { inner, progress }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            // The end of the input: what follows is the one transaction.
            self.progress.saving();
        }
        let lines = buf.get(..n).map_or(0, |read| {
            read.iter().filter(|&&b| b == b'\n').count() as u64
        });
        self.progress.advance(lines);
        Ok(n)
    }
}

/// A mailer that moves a [`Progress`] on with each delivery, delivered or not.
pub struct ProgressMailer {
    inner: Arc<dyn Mailer>,
    progress: Progress,
}

impl ProgressMailer {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Mailer>, progress: Progress) -> Self {
        ProgressMailer { inner, progress }
    }
}

impl std::fmt::Debug for ProgressMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressMailer").finish_non_exhaustive()
    }
}

impl Mailer for ProgressMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let result = self.inner.deliver(message);
        self.progress.delivered();
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_and_invisibles_but_keeps_letters_marks_and_quotes() {
        assert_eq!(printable("jane@example.com"), "jane@example.com");
        assert_eq!(printable("\"john doe\"@x.com"), "\"john doe\"@x.com");
        assert_eq!(printable("a\\b'c"), "a\\b'c");
        assert_eq!(printable("jürgen@bücher.de"), "jürgen@bücher.de");
        assert_eq!(printable("e\u{301}"), "e\u{301}");
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("jo\u{200b}hn"), "jo\\u{200b}hn");
        assert_eq!(printable("jo\u{202e}hn"), "jo\\u{202e}hn");
        assert_eq!(printable("tab\there"), "tab\\there");
    }

    #[test]
    fn paint_adds_escapes_only_when_enabled() {
        assert_eq!(Paint { enabled: false }.paint(RED, "x"), "x");
        assert_eq!(Paint { enabled: true }.paint(RED, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Paint { enabled: true }.paint("", "x"), "x");
    }

    #[test]
    fn tables_align_columns_by_characters_and_color_cells() {
        let mut table = Table::new(&["EMAIL", "STATUS"]);
        table.row(vec![
            ("zoë@example.com".into(), ""),
            ("Activated".into(), GREEN),
        ]);
        table.row(vec![("a@b.co".into(), ""), ("Invite\u{1b}".into(), RED)]);
        let mut plain = Vec::new();
        table.write(&mut plain, Paint { enabled: false }).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            "EMAIL            STATUS\nzoë@example.com  Activated\na@b.co           Invite\\u{1b}\n"
        );
        let mut colored = Vec::new();
        table.write(&mut colored, Paint { enabled: true }).unwrap();
        let colored = String::from_utf8(colored).unwrap();
        assert!(colored.starts_with("\x1b[1mEMAIL\x1b[0m            \x1b[1mSTATUS"));
        assert!(colored.contains("\x1b[32mActivated\x1b[0m"));
        let mut empty = Vec::new();
        Table::new(&["X"])
            .write(&mut empty, Paint { enabled: true })
            .unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn a_hidden_progress_counts_nothing_and_the_reader_passes_bytes_through() {
        let progress = Progress::hidden();
        progress.reading(5_000);
        let mut reader = CountingReader::new(&b"a\nb\nc"[..], progress.clone());
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a\nb\nc");
        assert!(!progress.enabled());
    }
}
