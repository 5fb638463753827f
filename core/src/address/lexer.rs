//! Cutting the input into words and the separators between them.
//!
//! A word is a maximal run of characters that are not separators, where a `"quoted string"`,
//! an `<angle group>` and a `(parenthesized group)` are atomic: separators inside them do not
//! cut. A group must close on its own line, and angle and parenthesized groups do not nest;
//! otherwise its opener is an ordinary character. Every byte is looked at a bounded number of
//! times, so the scan is linear in the input whatever it holds.

use super::chars::{Separator, separator};

/// A word: a byte span of the input and what the scanner learnt about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Word {
    /// First byte.
    pub start: usize,
    /// Just past the last byte.
    pub end: usize,
    /// The strongest separator in the run before this word (`Hard` for the first word).
    pub before: Separator,
    /// The first `<…>` group: offsets of `<` and `>`.
    pub angle: Option<(usize, usize)>,
    /// The last `(…)` group: offsets of `(` and `)`.
    pub paren: Option<(usize, usize)>,
    /// The first `"…"` group: offsets of both quotes.
    pub quote: Option<(usize, usize)>,
    /// Line of `start`, from 1.
    pub line: usize,
    /// Column of `start`, from 1, in Unicode scalar values.
    pub column: usize,
}

/// How many UTF-8 continuation bytes `bytes` holds.
fn continuation_bytes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 == 0x80).count()
}

/// ASCII bytes that are neither separators nor group openers: the fast path of the scan.
static ORDINARY: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b < 0x7F {
        table[b] = !matches!(b as u8, b',' | b';' | b'"' | b'<' | b'(');
        b += 1;
    }
    table
};

/// Whether [`Words`] finds `input` (which must not start with a byte-order mark) to be one
/// word from its first byte to its last: it is not empty and holds no separator and no group
/// opener (`"`, `<`, `(`), so nothing in it cuts and no group spans a separator.
pub(super) fn whole_word(input: &str) -> bool {
    let bytes = input.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let plain = |b: u8| {
        ORDINARY[usize::from(b)]
            || (b < 0x20 && !matches!(b, b'\t' | 0x0B | 0x0C | b'\n' | b'\r'))
            || b == 0x7F
    };
    if bytes.iter().all(|&b| plain(b)) {
        return true;
    }
    input.chars().all(|c| {
        if c.is_ascii() {
            plain(c as u8)
        } else {
            separator(c).is_none()
        }
    })
}

/// The scanner: yields the words of `input` from `begin`, in order.
pub(super) struct Words<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Group searches that reached the end of a line without a closer, by closer, remember
    /// where that line ended: a later search for the same closer before there fails at once.
    no_quote_before: usize,
    no_angle_before: usize,
    no_paren_before: usize,
    /// The current line, the offset where it starts, and how many UTF-8 continuation bytes
    /// the scan has passed on it: a column is then a subtraction. Words never hold a line
    /// break (groups close on their line), so lines change only between words.
    line: usize,
    line_start: usize,
    continuation_bytes: usize,
}

impl<'a> Words<'a> {
    pub(super) fn new(input: &'a str, begin: usize) -> Self {
        Words {
            bytes: input.as_bytes(),
            pos: begin,
            no_quote_before: 0,
            no_angle_before: 0,
            no_paren_before: 0,
            line: 1,
            line_start: begin,
            continuation_bytes: 0,
        }
    }

    /// The separator at `i`, if any, and its length in bytes.
    #[inline]
    fn separator_at(&self, i: usize) -> Option<(Separator, usize)> {
        let b = self.bytes[i];
        if b.is_ascii() {
            return match b {
                b' ' | b'\t' | 0x0B | 0x0C => Some((Separator::Space, 1)),
                b',' => Some((Separator::Comma, 1)),
                b';' | b'\n' | b'\r' => Some((Separator::Hard, 1)),
                _ => None,
            };
        }
        let c = self.char_at(i);
        separator(c).map(|kind| (kind, c.len_utf8()))
    }

    #[inline]
    fn char_at(&self, i: usize) -> char {
        // `i` is always on a char boundary of a `str`.
        let rest = &self.bytes[i..self.bytes.len().min(i + 4)];
        let text = match std::str::from_utf8(rest) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
        };
        text.chars().next().unwrap_or('\u{FFFD}')
    }

    #[inline]
    fn char_len_at(&self, i: usize) -> usize {
        match self.bytes[i] {
            b if b < 0x80 => 1,
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            _ => 2,
        }
    }

    /// Whether a line ends at `i` (LF, CR, U+2028, U+2029).
    #[inline]
    fn line_ends_at(&self, i: usize) -> bool {
        match self.bytes[i] {
            b'\n' | b'\r' => true,
            0xE2 => {
                self.bytes.get(i + 1) == Some(&0x80)
                    && matches!(self.bytes.get(i + 2), Some(0xA8 | 0xA9))
            }
            _ => false,
        }
    }

    /// The closing quote of the quoted string opened at `open`.
    fn quote_close(&mut self, open: usize) -> Option<usize> {
        if open < self.no_quote_before {
            return None;
        }
        let mut i = open + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => return Some(i),
                b'\\' if i + 1 < self.bytes.len() && !self.line_ends_at(i + 1) => {
                    i += 1 + self.char_len_at(i + 1);
                    continue;
                }
                _ if self.line_ends_at(i) => break,
                _ => {}
            }
            i += 1;
        }
        self.no_quote_before = i;
        None
    }

    /// The closer of the group (quoted string, angle or parenthesized group) opened at `open`.
    fn group_at(&mut self, open: usize) -> Option<usize> {
        match self.bytes[open] {
            b'"' => self.quote_close(open),
            b'<' => self.group_close(open, b'<', b'>'),
            _ => self.group_close(open, b'(', b')'),
        }
    }

    /// The `close` byte ending the group opened at `open`; `None` at the line's end or at a
    /// second opener.
    fn group_close(&mut self, open: usize, opener: u8, close: u8) -> Option<usize> {
        let no_close_before = if opener == b'<' {
            self.no_angle_before
        } else {
            self.no_paren_before
        };
        if open < no_close_before {
            return None;
        }
        let mut i = open + 1;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if b == close {
                return Some(i);
            }
            if b == opener {
                return None;
            }
            if b == b'\n' || b == b'\r' || (b == 0xE2 && self.line_ends_at(i)) {
                break;
            }
            i += 1;
        }
        if opener == b'<' {
            self.no_angle_before = i;
        } else {
            self.no_paren_before = i;
        }
        None
    }
}

impl Iterator for Words<'_> {
    type Item = Word;

    fn next(&mut self) -> Option<Word> {
        let len = self.bytes.len();
        let mut before: Option<Separator> = None;
        while self.pos < len {
            match self.separator_at(self.pos) {
                Some((kind, width)) => {
                    before = Some(before.map_or(kind, |b| b.max(kind)));
                    let crlf = self.bytes[self.pos] == b'\n'
                        && self.pos > 0
                        && self.bytes[self.pos - 1] == b'\r';
                    if kind == Separator::Hard && self.line_ends_at(self.pos) {
                        self.line += usize::from(!crlf);
                        self.line_start = self.pos + width;
                        self.continuation_bytes = 0;
                    } else {
                        self.continuation_bytes += width - 1;
                    }
                    self.pos += width;
                }
                None => break,
            }
        }
        if self.pos >= len {
            return None;
        }
        let start = self.pos;
        let mut word = Word {
            start,
            end: start,
            before: if start == 0 {
                Separator::Hard
            } else {
                before.unwrap_or(Separator::Hard)
            },
            angle: None,
            paren: None,
            quote: None,
            line: self.line,
            column: start - self.line_start - self.continuation_bytes + 1,
        };
        let mut i = start;
        loop {
            // Most bytes are ordinary: skip them in a tight loop.
            let rest = &self.bytes[i..];
            i += rest
                .iter()
                .position(|&b| !ORDINARY[usize::from(b)])
                .unwrap_or(rest.len());
            let Some(&b) = self.bytes.get(i) else {
                break;
            };
            match b {
                b'"' | b'<' | b'(' => {
                    if let Some(close) = self.group_at(i) {
                        let group = Some((i, close));
                        match b {
                            b'"' => word.quote = word.quote.or(group),
                            b'<' => word.angle = word.angle.or(group),
                            _ => word.paren = group,
                        }
                        self.continuation_bytes += continuation_bytes(&self.bytes[i..close]);
                        i = close + 1;
                        continue;
                    }
                }
                _ => {
                    if self.separator_at(i).is_some() {
                        break;
                    }
                }
            }
            let width = self.char_len_at(i);
            self.continuation_bytes += width - 1;
            i += width;
        }
        word.end = i;
        self.pos = i;
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(input: &str) -> Vec<&str> {
        Words::new(input, 0)
            .map(|w| &input[w.start..w.end])
            .collect()
    }

    #[test]
    fn separators_cut_words() {
        assert_eq!(
            words("a@x.com, b@y.com;c@z.com\n\r\nd"),
            ["a@x.com", "b@y.com", "c@z.com", "d"]
        );
        assert_eq!(
            words("a\u{3000}b\u{00A0}c，d；e、f\u{2028}g"),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert_eq!(words(" ,; "), Vec::<&str>::new());
    }

    #[test]
    fn groups_are_atomic_on_their_line() {
        assert_eq!(
            words("\"Last, First\" <a@x.com>"),
            ["\"Last, First\"", "<a@x.com>"]
        );
        assert_eq!(words("<a b@x.com> (c, d)"), ["<a b@x.com>", "(c, d)"]);
        assert_eq!(words("\"open, b\nc\""), ["\"open", "b", "c\""]);
        assert_eq!(words("<a <b@x.com>"), ["<a", "<b@x.com>"]);
    }

    #[test]
    fn separator_strength_is_recorded() {
        let kinds: Vec<Separator> = Words::new("a b, c ;d", 0).map(|w| w.before).collect();
        assert_eq!(
            kinds,
            [
                Separator::Hard,
                Separator::Space,
                Separator::Comma,
                Separator::Hard
            ]
        );
    }

    #[test]
    fn unclosed_openers_stay_linear() {
        let input = "<".repeat(10_000) + &"\"".repeat(10_000) + &"(".repeat(10_000);
        assert_eq!(words(&input).len(), 1);
    }
}
