//! The teleprobe binary: parse the command line, run the command, exit with
//! its code. Everything else is in the library ([`teleprobe::cli`]).

use clap::Parser;
use std::process::ExitCode;

// Each ended flow's record, strings and maps are allocated, handed on and
// freed (from another thread with `--threads 2`): mimalloc's free lists
// take about a tenth off a replay against glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option numbers (`mi_option_t` in mimalloc.h, the same in
/// its versions 2 and 3; libmimalloc-sys does not name these two).
const MI_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Memory freed is returned at once and arenas are committed as used:
    // a long capture's footprint stays what it holds (as with glibc),
    // not what it once held.
    // SAFETY: plain setters of mimalloc's global options, taking integers.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(MI_ARENA_EAGER_COMMIT, 0);
    }
    // `live --config FILE` settings become the flags they name.
    let args = match teleprobe::cli::config::apply(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => return teleprobe::output::exit::fail(&message),
    };
    teleprobe::cli::run(teleprobe::cli::args::Cli::parse_from(args))
}
