//! The teleprobe binary: parse the command line, run the command, exit with
//! its code. Everything else is in the library ([`teleprobe::cli`]).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    teleprobe::cli::run(teleprobe::cli::args::Cli::parse())
}
