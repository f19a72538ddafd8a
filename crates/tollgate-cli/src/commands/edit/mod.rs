//! `tollgate registry add`, `tollgate app add`, `tollgate approver add`: edits of tollgate.toml
//! (comments and order kept). Each prints the diff, then writes unless `--dry-run`.

pub mod app_add;
pub mod approver_add;
pub mod registry_add;

use tollgate::config::edit::ConfigEdit;

/// Print the edit's diff; whether to write it (not with `--dry-run`).
fn show(edit: &ConfigEdit, dry_run: bool) -> bool {
    say!("{}: {}", edit.config_path, edit.summary);
    print!(
        "{}",
        tollgate::domain::escape_controls_keep_lines(&edit.diff)
    );
    if dry_run {
        say!("(--dry-run: nothing was written)");
    }
    !dry_run
}

/// The last line, once the file was written.
fn done(summary: &str) {
    say!("tollgate.toml written: {summary}");
}
