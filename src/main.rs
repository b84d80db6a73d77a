//! The `aom-conformance` binary: everything lives in the library; see `cli.rs`.

fn main() -> std::process::ExitCode {
    aom_conformance::cli::main()
}
