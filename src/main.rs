fn main() -> std::process::ExitCode {
    match jobcraft::cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line: the error, then each of its causes.
            let mut line = format!("jobcraft: {error}");
            let mut cause = error.source();
            while let Some(inner) = cause {
                line.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            eprintln!("{}", line.replace('\n', " "));
            std::process::ExitCode::FAILURE
        }
    }
}
