//! uniffi's generator, built from this workspace so its version always matches the library's:
//!
//! ```sh
//! cargo run -p invitekit-uniffi --features cli --bin uniffi-bindgen -- \
//!     generate --library target/debug/libinvitekit_uniffi.so \
//!     --language kotlin --language swift --out-dir target/uniffi --no-format
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
