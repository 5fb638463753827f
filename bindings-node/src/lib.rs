//! The npm package `invitekit`'s native addon (napi-rs).
//!
//! Thin conversions around the core: the pasted-list parser, errors as `Error` objects with a
//! stable `.code`, pure helpers for hosts with their own records, and the use cases on a store
//! (`Invitations`), whose methods return Promises and run off the main thread. No rule lives
//! here.
//!
//! The package's `index.js` loads this addon (through the generated `binding.js`), wraps every
//! function and method so errors come out as `InvitekitError`s (see `errors`), and builds
//! `parseAddresses`'s entries from the columns `parse` returns. `index.d.ts` is generated from
//! the items here and the hand-written declarations in `typings/`.

// `#[napi]` registers nothing in a test build, so every exported item would be dead code there.
#![cfg_attr(test, allow(dead_code))]

mod convert;
mod csvfile;
mod documents;
mod errors;
mod helpers;
mod host;
mod parse;
mod records;
mod service;
mod typings;
