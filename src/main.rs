//! `dossier`: the command line. Parses arguments, loads the config, and hands each command
//! to its module under `cmd/`, which calls the library crates and prints through
//! `output`; the exit codes are part of the contract (0 done, 1 failed, 2 bad usage or
//! config, 75 another run holds the lock).

// Stdout is written only through `output`, which turns a closed pipe into a quiet stop;
// `print!` would panic there instead.
#![deny(clippy::print_stdout)]

mod cli;
mod cmd;
mod config;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

/// An error that carries its own exit code.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn usage(message: impl Into<String>) -> Exit {
        Exit {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Exit {
        Exit {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_LOCKED: u8 = 75;

/// The error and its causes, each said once: a cause already part of the message before
/// it (errors that print their source) is not said again.
fn describe(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn main() -> ExitCode {
    dossier_run::contain::install();
    let cli = cli::Cli::parse();
    let filter = if cli.verbose {
        "dossier=debug,warn"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    match cmd::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            if output::is_stdout_closed(&err) {
                return ExitCode::SUCCESS;
            }
            if let Some(exit) = err.downcast_ref::<Exit>() {
                if !exit.message.is_empty() {
                    eprintln!("dossier: {}", exit.message);
                }
                return ExitCode::from(exit.code);
            }
            if let Some(cfg) = err.downcast_ref::<config::ConfigError>() {
                eprintln!("{cfg}");
                eprintln!("dossier: the config has {} problem(s)", cfg.problems.len());
                return ExitCode::from(EXIT_USAGE);
            }
            eprintln!("dossier: {}", describe(&err));
            ExitCode::from(EXIT_FAILED)
        }
    }
}
