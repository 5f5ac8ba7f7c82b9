//! `ivrconf-trace`: tools for ivrconf call traces (docs/TRACE.md).
//!
//! `ivrconf-trace render FILE.jsonl --svg OUT.svg --html OUT.html` draws a
//! trace. One module per subcommand; this file owns only the dispatch, the
//! usage text and the exit status: 0 done, 2 a bad command line or a trace
//! that cannot be read, 1 an output that cannot be written.

mod render;
mod trace;

use std::process::ExitCode;

/// Why a subcommand stopped, which decides the exit status.
#[derive(Debug)]
pub enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// The input cannot be read or is not a trace this tool knows.
    Input(String),
    /// An output file cannot be written.
    Output(String),
}

fn usage() -> String {
    format!(
        "usage: ivrconf-trace COMMAND ...\n\ncommands:\n  {}\n",
        render::USAGE
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("render") => render::command(&args[1..]),
        Some("help" | "-h" | "--help") => {
            print!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(Failure::Usage(format!("unknown command {other:?}"))),
        None => Err(Failure::Usage("no command given".to_string())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(why)) => {
            eprint!("ivrconf-trace: {why}\n{}", usage());
            ExitCode::from(2)
        }
        Err(Failure::Input(why)) => {
            eprintln!("ivrconf-trace: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Output(why)) => {
            eprintln!("ivrconf-trace: cannot write {why}");
            ExitCode::from(1)
        }
    }
}
