//! The `ntn` binary: the real process's host, the CLI, and the exit. The
//! only place that ends the process.

fn main() {
    let code = ntn::cli::main_entry(std::env::args_os(), ntn::context::Host::system());
    std::process::exit(code);
}
