//! `completions` and `man`: shell completion scripts and the roff manual, generated from the clap
//! definition of [`super::Cli`] (clap_complete, clap_mangen), so they always match the binary.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError};

/// `completions` arguments.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `man` arguments.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command (briefwatch.1, briefwatch-demo.1, ...) into this folder instead
    /// of the single page on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Writes the completion script for `args.shell` to stdout.
pub(super) fn completions(args: CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "briefwatch", &mut std::io::stdout());
    Ok(())
}

/// Writes the manual: one page for the whole command tree on stdout, or a page per command.
pub(super) fn man(args: ManArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = args.dir {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        clap_mangen::generate_to(cmd, &dir)
            .map_err(|e| anyhow::anyhow!("cannot write the pages into {}: {e}", dir.display()))?;
        println!("manual pages written to {}", dir.display());
        return Ok(());
    }
    let mut page = Vec::new();
    whole_tree(&cmd, &mut page).map_err(anyhow::Error::from)?;
    std::io::stdout()
        .write_all(&page)
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// The top-level page, then a section per command below it (synopsis, description, options).
/// The page's `.TH` comes first, as man(7) expects of a page, ahead of the string definitions
/// roff puts at the top.
pub fn whole_tree(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    let top = String::from_utf8_lossy(&top);
    let title = top.lines().find(|l| l.starts_with(".TH "));
    if let Some(t) = title {
        writeln!(out, "{t}")?;
    }
    for line in top.lines().filter(|l| Some(*l) != title) {
        writeln!(out, "{line}")?;
    }
    let mut stack: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    stack.reverse();
    while let Some(sub) = stack.pop() {
        if sub.is_hide_set() {
            continue;
        }
        let name = sub
            .get_bin_name()
            .map_or_else(|| sub.get_name().to_owned(), str::to_owned);
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub.clone());
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut part)?;
        }
        // The command's own sections become subsections of its section.
        for line in String::from_utf8_lossy(&part).lines() {
            match line.strip_prefix(".SH ") {
                Some(title) => writeln!(out, ".SS {title}")?,
                None => writeln!(out, "{line}")?,
            }
        }
        let mut children: Vec<clap::Command> = sub.get_subcommands().cloned().collect();
        children.reverse();
        stack.extend(children);
    }
    Ok(())
}
