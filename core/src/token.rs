//! Link tokens: minted from the OS's CSPRNG, stored only as hashes, compared in constant time.
//!
//! A [`Token`] is 256 random bits written as 43 characters of URL-safe base64 (no padding), so
//! it fits in a link unescaped. Only its SHA-256 [`TokenHash`] is ever stored; the token itself
//! goes into the email and nowhere else. `Debug` shows `Token(<redacted>)`, there is no
//! `Display`, and errors and events never hold one: the text is reachable only through
//! [`Token::expose_secret`], a name that is easy to find in review.
//!
//! ```
//! use invitekit::token::Token;
//!
//! let token = Token::mint()?;
//! let stored = token.hash();
//! let from_link = Token::parse(token.expose_secret())?;
//! assert!(stored.matches(&from_link));
//! assert_eq!(format!("{token:?}"), "Token(<redacted>)");
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, ErrorKind};

/// Random bytes in a token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// Characters in a token's text: `TOKEN_BYTES` in unpadded base64.
pub const TOKEN_LEN: usize = 43;

/// A secret link token. Never printed: see the module doc.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    text: String,
}

impl Token {
    /// A fresh token from the operating system's CSPRNG.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::EntropyUnavailable`] when the operating system gives no random bytes.
    pub fn mint() -> Result<Token, Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| Error::new(ErrorKind::EntropyUnavailable))?;
        Ok(Token {
            text: URL_SAFE_NO_PAD.encode(bytes),
        })
    }

    /// The token written in `text`, as taken from a link.
    ///
    /// Surrounding white space is ignored (links pasted from emails often carry some); anything
    /// else must be exactly a token's 43 URL-safe base64 characters. The work is bounded by
    /// [`TOKEN_LEN`], whatever the input's length.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidToken`] for any other text. The error does not repeat the text.
    pub fn parse(text: &str) -> Result<Token, Error> {
        let text = text.trim();
        let invalid = || Error::new(ErrorKind::InvalidToken);
        if text.len() != TOKEN_LEN {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        // 43 characters hold 258 bits; canonical encodings leave the last 2 at zero, which the
        // decoder checks, so each token has exactly one text.
        if bytes.len() != TOKEN_BYTES {
            return Err(invalid());
        }
        Ok(Token {
            text: text.to_owned(),
        })
    }

    /// The token's text, for the link in an email. The only way to read it.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// Its SHA-256 hash, the only form a store keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.text.as_bytes()).into())
    }
}

/// Random bytes in a record id minted by [`mint_id`]: 128 bits.
pub const ID_BYTES: usize = 16;

/// A fresh record id: `prefix` and 16 bytes from the operating system's CSPRNG in unpadded
/// URL-safe base64 (22 characters), for example `cl_3q2-7wAAAAAAAAAAAAAAAA`. Ids are not
/// secrets; they are random so that two servers never mint the same one.
///
/// # Errors
///
/// [`crate::ErrorCode::EntropyUnavailable`] when the operating system gives no random bytes.
pub fn mint_id(prefix: &str) -> Result<String, Error> {
    let mut bytes = [0u8; ID_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| Error::new(ErrorKind::EntropyUnavailable))?;
    let mut id = String::with_capacity(prefix.len() + 22);
    id.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut id);
    Ok(id)
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The SHA-256 hash of a [`Token`]'s text: what stores keep and look links up by.
///
/// Serialized as 64 lowercase hex digits. Knowing a hash does not let anyone accept: the link
/// needs the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Whether `token` hashes to this, compared in constant time.
    pub fn matches(&self, token: &Token) -> bool {
        self.0.ct_eq(&token.hash().0).into()
    }

    /// The hash as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    /// The hash written as 64 hex digits (either case).
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidToken`] for anything else.
    pub fn from_hex(hex: &str) -> Result<TokenHash, Error> {
        let invalid = || Error::new(ErrorKind::InvalidToken);
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(TokenHash(bytes))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell hashes apart in a test failure.
        write!(f, "TokenHash({}…)", &self.to_hex()[..12])
    }
}

impl Serialize for TokenHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for TokenHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TokenHash::from_hex(&hex).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn minted_tokens_are_url_safe_distinct_and_256_bits() {
        let a = Token::mint().expect("entropy");
        let b = Token::mint().expect("entropy");
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), TOKEN_LEN);
        assert!(
            a.expose_secret()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(a.expose_secret())
                .expect("base64")
                .len(),
            32
        );
    }

    #[test]
    fn only_the_hash_of_the_same_token_matches() {
        let a = Token::mint().expect("entropy");
        let b = Token::mint().expect("entropy");
        assert!(a.hash().matches(&a));
        assert!(!a.hash().matches(&b));
        // SHA-256 of the text, as any other implementation would compute it.
        let known = Token::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("token");
        assert_eq!(
            known.hash().to_hex(),
            "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
        );
    }

    #[test]
    fn parse_refuses_anything_but_a_canonical_token() {
        let token = Token::mint().expect("entropy");
        let text = token.expose_secret();
        assert_eq!(
            Token::parse(&format!("  {text}\n")).expect("trimmed"),
            token
        );
        for bad in [
            "",
            &text[1..],
            &format!("{text}A"),
            &format!("{}+", &text[..42]),
            &format!("{}=", &text[..42]),
            // The last character carries 2 unused bits that must be zero.
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
            // 43 bytes that are not 43 characters.
            &format!("{}é", &text[..41]),
        ] {
            let error = Token::parse(bad).expect_err(bad);
            assert_eq!(error.code(), ErrorCode::InvalidToken);
            assert!(!error.to_string().contains(bad) || bad.is_empty());
        }
    }

    #[test]
    fn secrets_never_show() {
        let token = Token::mint().expect("entropy");
        let debug = format!("{token:?} {:?}", Some(&token));
        assert!(!debug.contains(token.expose_secret()));
        let hash = token.hash();
        assert!(format!("{hash:?}").starts_with("TokenHash("));
    }

    #[test]
    fn hashes_round_trip_through_hex_and_json() {
        let hash = Token::mint().expect("entropy").hash();
        assert_eq!(TokenHash::from_hex(&hash.to_hex()).expect("hex"), hash);
        assert_eq!(
            TokenHash::from_hex(&hash.to_hex().to_uppercase()).expect("hex"),
            hash
        );
        let json = serde_json::to_string(&hash).expect("json");
        assert_eq!(json, format!("\"{}\"", hash.to_hex()));
        assert_eq!(
            serde_json::from_str::<TokenHash>(&json).expect("json"),
            hash
        );
        for bad in ["", "zz", &"g".repeat(64), &"é".repeat(32)] {
            assert_eq!(
                TokenHash::from_hex(bad).expect_err(bad).code(),
                ErrorCode::InvalidToken
            );
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_text_parses_to_itself_or_to_invalid_token(text in ".{0,60}|[A-Za-z0-9_-]{43}") {
                match Token::parse(&text) {
                    Ok(token) => {
                        prop_assert_eq!(token.expose_secret(), text.trim());
                        let bytes = URL_SAFE_NO_PAD.decode(token.expose_secret());
                        prop_assert_eq!(bytes.map(|b| URL_SAFE_NO_PAD.encode(b)).ok(),
                            Some(token.expose_secret().to_owned()));
                    }
                    Err(error) => prop_assert_eq!(error.code(), ErrorCode::InvalidToken),
                }
            }

            #[test]
            fn a_changed_character_never_matches(position in 0usize..TOKEN_LEN, replacement in "[A-Za-z0-9_-]") {
                let token = Token::mint().expect("entropy");
                let mut text = token.expose_secret().to_owned();
                prop_assume!(&text[position..=position] != replacement.as_str());
                text.replace_range(position..=position, &replacement);
                if let Ok(changed) = Token::parse(&text) {
                    prop_assert!(!token.hash().matches(&changed));
                }
            }

            #[test]
            fn any_text_is_a_hash_in_hex_or_invalid(text in "[0-9a-fA-F]{64}|.{0,70}") {
                match TokenHash::from_hex(&text) {
                    Ok(hash) => prop_assert_eq!(hash.to_hex(), text.to_ascii_lowercase()),
                    Err(error) => prop_assert_eq!(error.code(), ErrorCode::InvalidToken),
                }
            }
        }
    }
}
