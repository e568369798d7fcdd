//! The `chartsmith` command: clap arguments → settings → one library call per verb.

mod args;
mod backend;
mod commands;
mod lint;
mod output;
mod progress;
mod releases;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2).
            let e = args::usage::without_value_tip(e);
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let debug = cli.global.debug;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(output::Exit(code)) = e.downcast_ref::<output::Exit>() {
                return ExitCode::from(*code);
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "Error: {}", error_text(&e));
            if debug {
                // Every cause, one per line, as the error chain holds them.
                let _ = writeln!(stderr, "debug: error chain:");
                for (depth, cause) in e.chain().enumerate() {
                    let _ = writeln!(stderr, "debug:   {depth}: {cause}");
                }
            }
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, `: `-joined as anyhow's `{:#}` does, but without a cause whose text
/// the message already holds (library errors often quote their cause). Control characters are
/// escaped, line breaks kept: the library escapes the input it quotes, and this is the last line of
/// defence for a message that quotes input it did not (an OS error, a cause from another crate).
fn error_text(error: &anyhow::Error) -> String {
    error_text_raw(error)
        .split('\n')
        .map(|line| chartsmith::text::escape(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn error_text_raw(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
