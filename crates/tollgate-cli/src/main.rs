//! The `tollgate` command line: a thin adapter over `tollgate::api`. Arguments (clap) in
//! [`args`], one file per command under [`commands`] (`tollgate sync` is `commands/sync.rs`,
//! `tollgate team status` is `commands/team/status.rs`), what several commands print in
//! [`output`], and the one-line error convention: every failure prints
//! `error: <what is wrong and what to do>` and exits 1 (refused) or 2 (bad input).
//!
//! Every human line goes through [`say!`] / [`esay!`]: one line, with control characters
//! escaped (names, notes, reasons and ids may come from the registry or a teammate's signed
//! message, and must not act on the terminal or forge a line). JSON is escaped by serde.

/// `println!` of one line with its control characters escaped (`\u{1b}`, `\u{a}`).
macro_rules! say {
    () => {
        println!()
    };
    ($($arg:tt)*) => {
        println!("{}", tollgate::domain::escape_controls(&format!($($arg)*)))
    };
}

/// `eprintln!` of one line with its control characters escaped, as [`say!`].
macro_rules! esay {
    ($($arg:tt)*) => {
        eprintln!("{}", tollgate::domain::escape_controls(&format!($($arg)*)))
    };
}

mod args;
#[cfg(test)]
mod cli_reference;
mod commands;
mod hint;
mod logging;
mod output;

use clap::Parser;

use args::Cli;

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            esay!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => status,
        Err(e) => {
            // A refusal may list several unmet rules: one line each.
            for line in hint::error_text(&e).lines() {
                esay!("error: {line}");
            }
            e.code.exit_status()
        }
    }
}

/// clap's own errors are several lines; keep help and version as they are, and turn usage
/// errors into one line that says where to look.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            }
        }
        _ => {
            // The message is the text before the first blank line, folded onto one line.
            let rendered = e.render().to_string();
            let lines: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let message = lines.join(" ");
            let message = message.trim_start_matches("error: ");
            esay!("error: {message}; see `tollgate --help`");
            2
        }
    }
}
