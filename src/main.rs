fn main() -> std::process::ExitCode {
    bound_malloc_arenas();
    match jobcraft::cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line: the error, then each of its causes.
            let line = jobcraft::error::cause_chain(&*error);
            eprintln!("jobcraft: {}", line.replace('\n', " "));
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates an arena of its own, up to eight per core, and keeps
/// what each freed for that thread: under the soak the service's resident memory grew from
/// 45 MB (two arenas) to 67 MB. Two arenas cost no measurable throughput (bench/soak). An
/// operator's `MALLOC_ARENA_MAX` wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt is C; the one call into glibc the service makes")]
fn bound_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: `mallopt` only sets a malloc parameter; it is called before any other thread
    // exists, so no allocation runs beside it.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}
