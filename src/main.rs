fn main() -> std::process::ExitCode {
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
