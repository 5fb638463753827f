//! Character classes the parser needs: separators, line breaks, and the non-ASCII characters
//! refused by default (invisible, bidi controls, symbols).

use unicode_properties::{GeneralCategoryGroup, UnicodeEmoji, UnicodeGeneralCategory};

use crate::error::ErrorCode;

/// What a separator character does to the entries around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Separator {
    /// White space: separates words, a display name may continue across it.
    Space,
    /// `,` `，` `、`: a display name may continue across one of these (`Last, First <addr>`).
    Comma,
    /// `;` `；` and line breaks: always end an entry.
    Hard,
}

/// The separator class of `c`, if it is one.
#[inline]
pub(super) fn separator(c: char) -> Option<Separator> {
    match c {
        ' ' | '\t' => Some(Separator::Space),
        ',' | '，' | '、' => Some(Separator::Comma),
        ';' | '；' => Some(Separator::Hard),
        c if is_line_break(c) => Some(Separator::Hard),
        c if c.is_whitespace() => Some(Separator::Space),
        _ => None,
    }
}

/// Whether `c` ends a line (CRLF counts once; see [`super::Entry::line`]).
#[inline]
pub(super) fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Default-ignorable code points (Unicode's `Default_Ignorable_Code_Point`), which render as
/// nothing, minus the bidi controls that have a code of their own.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Emoji and symbol characters: general category S (Sm, Sc, Sk, So) or `Emoji=Yes`.
fn is_symbol(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Symbol || c.is_emoji_char()
}

/// The refused character class of `text` under the given permissions: invisible characters
/// first, then bidi controls, then symbols, wherever they stand. ASCII text never has one.
pub(super) fn refused_character(
    text: &str,
    allow_invisible: bool,
    allow_bidi: bool,
    allow_symbols: bool,
) -> Option<ErrorCode> {
    if text.is_ascii() {
        return None;
    }
    let has = |class: fn(char) -> bool| text.chars().any(|c| !c.is_ascii() && class(c));
    if !allow_invisible && has(is_invisible) {
        Some(ErrorCode::InvisibleCharacter)
    } else if !allow_bidi && has(is_bidi_control) {
        Some(ErrorCode::BidiControl)
    } else if !allow_symbols && has(is_symbol) {
        Some(ErrorCode::SymbolCharacter)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_by_class() {
        for c in [' ', '\t', '\u{00A0}', '\u{3000}', '\u{2009}'] {
            assert_eq!(separator(c), Some(Separator::Space), "{c:?}");
        }
        for c in [',', '，', '、'] {
            assert_eq!(separator(c), Some(Separator::Comma), "{c:?}");
        }
        for c in [';', '；', '\n', '\r', '\u{2028}', '\u{2029}'] {
            assert_eq!(separator(c), Some(Separator::Hard), "{c:?}");
        }
        for c in ['a', '@', '\u{200B}', '.', '<'] {
            assert_eq!(separator(c), None, "{c:?}");
        }
    }

    #[test]
    fn refused_classes() {
        let check = |s: &str| refused_character(s, false, false, false);
        assert_eq!(check("jane@example.com"), None);
        assert_eq!(check("jöhn@bücher.de"), None);
        assert_eq!(check("ja\u{200B}ne"), Some(ErrorCode::InvisibleCharacter));
        assert_eq!(check("ja\u{00AD}ne"), Some(ErrorCode::InvisibleCharacter));
        assert_eq!(check("ja\u{202E}ne"), Some(ErrorCode::BidiControl));
        assert_eq!(check("ja☺ne"), Some(ErrorCode::SymbolCharacter));
        assert_eq!(check("ja😀ne"), Some(ErrorCode::SymbolCharacter));
        assert_eq!(check("©"), Some(ErrorCode::SymbolCharacter));
        assert_eq!(refused_character("ja\u{200B}ne", true, false, false), None);
        assert_eq!(refused_character("ja\u{202E}ne", false, true, false), None);
        assert_eq!(refused_character("ja☺ne", false, false, true), None);
        // The order of the classes decides, not the order in the text.
        assert_eq!(
            check("☺\u{202E}\u{200B}"),
            Some(ErrorCode::InvisibleCharacter)
        );
        assert_eq!(check("☺\u{202E}"), Some(ErrorCode::BidiControl));
    }
}
