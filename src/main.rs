fn main() -> std::process::ExitCode {
    match jobcraft::cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("jobcraft: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
