//! The `tidings` binary: argument parsing and exit codes live in `tidings::cli`.

fn main() -> std::process::ExitCode {
    tune_malloc();
    tidings::cli::main()
}

/// Keeps glibc's malloc from holding on to a poll's transient memory.
///
/// - A block of 128 KiB or more gets its own mmap, returned when freed. glibc
///   raises that threshold to the size of each such block freed (up to 32 MiB),
///   so after the first large feed body or rendered output was freed, the next
///   thousands came from the arenas and left holes there. A fixed threshold
///   stops the raising.
/// - Arenas: two per core instead of eight. Only `cores` threads run at once;
///   more arenas only spread the same churn over more partly-empty heaps.
///
/// `tidings run` over 10,000 feeds (benches/scale.sh's feeds, with its latency
/// probe) peaked at 103–108 MB before, 69 MB after; over 1,000 feeds 72–74 MB
/// before, 51–53 MB after. `MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX` or
/// `GLIBC_TUNABLES=glibc.malloc.…` in the environment win over these.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    let env = |name: &str| std::env::var_os(name).is_some();
    let tunables = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc."));
    if tunables {
        return;
    }
    let arenas = libc::c_int::try_from(tidings::pipeline::cores() * 2).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes malloc's parameters; it runs first thing in
    // main, before any other thread exists. A setting it rejects stays glibc's
    // default, which is harmless.
    unsafe {
        if !env("MALLOC_MMAP_THRESHOLD_") {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        }
        if !env("MALLOC_ARENA_MAX") {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
