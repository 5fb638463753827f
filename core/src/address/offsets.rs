//! Offsets in other units than UTF-8 bytes, for hosts whose strings count UTF-16 code units
//! (JavaScript, Kotlin and Java, Swift's `utf16` view).
//!
//! The parser's spans ([`super::Entry::start`], [`crate::EntryError::start`]) are byte offsets
//! into the pasted text; a binding converts them for its host with [`Utf16Offsets`], in one pass
//! over the text and not at all for ASCII.

/// Converts byte offsets into a text to UTF-16 offsets, walking from the offset asked last:
/// offsets asked roughly in order cost one pass over the text in all.
pub struct Utf16Offsets<'a> {
    text: &'a [u8],
    ascii: bool,
    byte: usize,
    units: usize,
}

/// UTF-16 code units of the character a UTF-8 sequence starting with `lead` encodes: 0 for a
/// continuation byte.
fn units_of(lead: u8) -> usize {
    match lead {
        0x80..=0xBF => 0,
        0xF0..=0xFF => 2,
        _ => 1,
    }
}

impl<'a> Utf16Offsets<'a> {
    /// A converter for offsets into `text`.
    pub fn new(text: &'a str) -> Self {
        Utf16Offsets {
            text: text.as_bytes(),
            ascii: text.is_ascii(),
            byte: 0,
            units: 0,
        }
    }

    /// The UTF-16 offset of byte offset `byte` (clamped to the text's length), which must be on a
    /// character boundary.
    pub fn at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if self.ascii {
            return byte;
        }
        if byte >= self.byte {
            let between = self.text.get(self.byte..byte).unwrap_or_default();
            self.units += between.iter().map(|&b| units_of(b)).sum::<usize>();
        } else {
            let between = self.text.get(byte..self.byte).unwrap_or_default();
            self.units -= between.iter().map(|&b| units_of(b)).sum::<usize>();
        }
        self.byte = byte;
        self.units
    }
}

/// UTF-16 code units in `text`.
pub fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.as_bytes().iter().map(|&b| units_of(b)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::{Utf16Offsets, utf16_len};

    #[test]
    fn byte_offsets_become_utf16_offsets() {
        let text = "é <a@b.co>, 用户@例え.jp 😀 x";
        let mut offsets = Utf16Offsets::new(text);
        for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let expected = text[..byte].encode_utf16().count();
            assert_eq!(offsets.at(byte), expected, "{byte}");
        }
        // Backwards too.
        for (byte, _) in text.char_indices().rev() {
            let expected = text[..byte].encode_utf16().count();
            assert_eq!(offsets.at(byte), expected, "{byte}");
        }
        assert_eq!(Utf16Offsets::new("abc").at(9), 3);
        assert_eq!(utf16_len(text), text.encode_utf16().count());
    }
}
