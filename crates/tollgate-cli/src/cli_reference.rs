//! The CLI reference of the book (`docs/src/reference/cli.md`), rendered from the clap
//! definitions in [`crate::args`]: every command's and subcommand's long help, as
//! `tollgate COMMAND --help` prints it. A test compares it with the committed file, as
//! `scripts/check-bindings.sh` does for the TypeScript bindings; `UPDATE_CLI_REFERENCE=1`
//! rewrites it.

use clap::CommandFactory;

use crate::args::Cli;

/// Where the reference lives, from the repository root.
pub const PATH: &str = "docs/src/reference/cli.md";

/// The whole reference: a heading and a `text` block of long help per command, depth first in
/// the order `tollgate --help` lists them (clap's own `help` subcommand left out).
pub fn render() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::from(
        "# CLI reference\n\n\
         <!-- Generated from crates/tollgate-cli/src/args.rs by the test cli_reference::tests; \
         do not edit: run `UPDATE_CLI_REFERENCE=1 cargo test -p tollgate-cli --bin tollgate \
         cli_reference` after changing a command or a flag. -->\n\n\
         Every command's `--help`, as this version of `tollgate` prints it. What each command \
         does, and why, is in [The CLI](../cli.md) and the chapters it links to.\n",
    );
    section(&mut root, &mut out);
    out
}

fn section(cmd: &mut clap::Command, out: &mut String) {
    let name = cmd
        .get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let help = cmd.render_long_help().to_string();
    out.push_str(&format!("\n## {name}\n\n```text\n"));
    for line in help.trim_end().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("```\n");
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() != "help" {
            section(sub, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{render, PATH};

    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "UPDATE_CLI_REFERENCE asks the test to rewrite the committed reference"
    )]
    fn the_cli_reference_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(PATH);
        let want = render();
        if std::env::var_os("UPDATE_CLI_REFERENCE").is_some() {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{PATH} is stale: run `UPDATE_CLI_REFERENCE=1 cargo test -p tollgate-cli --bin tollgate cli_reference` and commit it"
        );
    }

    #[test]
    fn the_reference_names_every_command_with_its_flags() {
        let text = render();
        for heading in [
            "## tollgate\n",
            "## tollgate approve\n",
            "## tollgate key rotate\n",
            "## tollgate team status\n",
        ] {
            assert!(text.contains(heading), "no {heading:?} in the reference");
        }
        assert!(
            text.contains("--confirm <CONFIRM>"),
            "approve's flags missing"
        );
        assert!(
            !text.contains("## tollgate help"),
            "clap's help command listed"
        );
    }
}
