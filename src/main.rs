//! The `tidings` binary: argument parsing and exit codes live in `tidings::cli`.

fn main() -> std::process::ExitCode {
    tidings::cli::main()
}
