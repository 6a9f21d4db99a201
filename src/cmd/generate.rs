//! `dossier generate`: the man page and shell completions, made from the same definitions
//! as `--help` (as ripgrep ships them), for packagers and for a shell's rc file.

use crate::cli::{Cli, Generated};
use crate::output;
use anyhow::Result;
use clap::CommandFactory;

pub fn run(what: Generated) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let shell = match what {
        Generated::Man => {
            clap_mangen::Man::new(cmd).render(&mut out)?;
            return output::bytes(&out);
        }
        Generated::Bash => clap_complete::Shell::Bash,
        Generated::Zsh => clap_complete::Shell::Zsh,
        Generated::Fish => clap_complete::Shell::Fish,
        Generated::Elvish => clap_complete::Shell::Elvish,
        Generated::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "dossier", &mut out);
    output::bytes(&out)
}
