//! invitekit owns the "invite your clients" part of a SaaS platform.
//!
//! This crate is the pure core: every domain rule, no I/O and no FFI types. Start with
//! [`address::parse`], which turns a pasted list of addresses into entries, each pointed at
//! precisely and judged by one policy that is the same from every host language.
//!
//! The invitation rules are pure functions of records, input and an instant `now` the caller
//! passes: [`model`] holds the records and events, [`policy`] the expiry window, time zone and
//! email binding, [`lifecycle`] the derived status and the transition table, [`access`] who may
//! do what, and [`token`] the link secrets.
//!
//! ```
//! use invitekit::address::{parse, ParseOptions};
//!
//! let list = parse("jane@example.com, Bob <bob@example.org>", &ParseOptions::default())?;
//! assert!(list.acceptable);
//! assert_eq!(list.valid, 2);
//! # Ok::<(), invitekit::Error>(())
//! ```

pub mod access;
pub mod address;
pub mod clock;
pub mod csv;
pub mod error;
pub mod lifecycle;
pub mod mailer;
pub mod message;
pub mod model;
pub mod policy;
pub mod service;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod token;

pub use error::{EntryError, Error, ErrorCode, ErrorFamily, ErrorKind};

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
