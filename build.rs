//! Rebuilds the crate when a file is added to or removed from `specs/` or `schemas/`.
//! Both are built into the binary (`src/spec/source.rs`), and on stable Rust
//! `include_dir!` only notices changes to the files it already included.

fn main() {
    // A directory here means: rerun when anything under it changes.
    println!("cargo::rerun-if-changed=specs");
    println!("cargo::rerun-if-changed=schemas");
}
