//! The teleprobe binary: parse the command line, run the command, exit with
//! its code. Everything else is in the library ([`teleprobe::cli`]).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `live --config FILE` settings become the flags they name.
    let args = match teleprobe::cli::config::apply(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => return teleprobe::output::exit::fail(&message),
    };
    teleprobe::cli::run(teleprobe::cli::args::Cli::parse_from(args))
}
