//! `ntn-sandbox`: a local Notion-compatible HTTP server. See the library docs.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = ntn_sandbox::Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ntn-sandbox: cannot start runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(ntn_sandbox::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ntn-sandbox: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
