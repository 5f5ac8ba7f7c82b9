//! `ivrconf-trace`: tools for ivrconf call traces (docs/TRACE.md).
//!
//! `ivrconf-trace render FILE.jsonl --svg OUT.svg --html OUT.html` draws a
//! trace; `ivrconf-trace import CAPTURE.pcap --out DIR` turns a packet
//! capture into traces. One module per subcommand; this file owns only the dispatch, the
//! usage text and the exit status: 0 done, 2 a bad command line or an
//! input that cannot be read (whole or in part), 1 an output that cannot be
//! written.

mod import;
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
        "usage: ivrconf-trace COMMAND ...\n\ncommands:\n  {}\n  {}\n",
        render::USAGE,
        import::USAGE
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("render") => render::command(&args[1..]),
        Some("import") => import::command(&args[1..]),
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
