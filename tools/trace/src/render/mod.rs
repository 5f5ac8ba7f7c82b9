//! `ivrconf-trace render FILE.jsonl [--svg OUT.svg] [--html OUT.html]`:
//! reads a JSONL trace and writes its pictures.
//!
//! Owns the command's options and its files. Must not parse the trace
//! (trace.rs) nor draw (the modules below).

mod html;
mod layout;
mod markup;
mod svg;
mod text;

use crate::trace;
use crate::Failure;

pub const USAGE: &str = "ivrconf-trace render FILE.jsonl [--svg OUT.svg] [--html OUT.html]\n    \
    draws the call trace FILE.jsonl as an SVG sequence diagram and/or an\n    \
    HTML page (the diagram beside the TEXT form); at least one output";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    input: String,
    svg: Option<String>,
    html: Option<String>,
}

/// Runs `render` with the arguments after the subcommand name.
pub fn command(args: &[String]) -> Result<(), Failure> {
    let request = request(args).map_err(Failure::Usage)?;
    let input = std::fs::read_to_string(&request.input)
        .map_err(|e| Failure::Input(format!("{}: {e}", request.input)))?;
    let trace =
        trace::parse(&input).map_err(|e| Failure::Input(format!("{}: {e}", request.input)))?;
    let picture = svg::render(&layout::layout(&trace));
    if let Some(path) = &request.svg {
        write(path, &picture)?;
    }
    if let Some(path) = &request.html {
        write(path, &html::render(&trace, &picture))?;
    }
    Ok(())
}

fn write(path: &str, content: &str) -> Result<(), Failure> {
    std::fs::write(path, content).map_err(|e| Failure::Output(format!("{path}: {e}")))
}

fn request(args: &[String]) -> Result<Request, String> {
    let mut input = None;
    let mut svg = None;
    let mut html = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (slot, what) = match arg.as_str() {
            "--svg" => (&mut svg, "--svg"),
            "--html" => (&mut html, "--html"),
            option if option.starts_with('-') => return Err(format!("unknown option {option}")),
            _ => (&mut input, "FILE"),
        };
        let value = if slot.is_some() {
            return Err(format!("{what} given twice"));
        } else if what == "FILE" {
            arg
        } else {
            args.next()
                .ok_or_else(|| format!("{what} needs a file name"))?
        };
        *slot = Some(value.clone());
    }
    let input = input.ok_or("no trace file given")?;
    if svg.is_none() && html.is_none() {
        return Err("nothing to write: give --svg OUT.svg and/or --html OUT.html".to_string());
    }
    Ok(Request { input, svg, html })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_in_any_order() {
        assert_eq!(
            request(&args(&["--html", "o.html", "t.jsonl", "--svg", "o.svg"])),
            Ok(Request {
                input: "t.jsonl".to_string(),
                svg: Some("o.svg".to_string()),
                html: Some("o.html".to_string()),
            })
        );
    }

    #[test]
    fn bad_command_lines_say_why() {
        let cases = [
            (&["t.jsonl"][..], "nothing to write"),
            (&["--svg", "o.svg"][..], "no trace file"),
            (&["t.jsonl", "--svg"][..], "--svg needs a file name"),
            (
                &["t.jsonl", "u.jsonl", "--svg", "o"][..],
                "FILE given twice",
            ),
            (
                &["t.jsonl", "--svg", "a", "--svg", "b"][..],
                "--svg given twice",
            ),
            (&["t.jsonl", "--png", "o"][..], "unknown option --png"),
        ];
        for (line, expected) in cases {
            let e = request(&args(line)).unwrap_err();
            assert!(e.contains(expected), "{line:?}: {e}");
        }
    }
}
