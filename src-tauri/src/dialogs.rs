//! Native dialogs that the Rust side opens itself, so that what they decide (where a report is
//! written, whether the signing key is replaced) comes from the person and never from the page.
//! Commands reach them through [`Dialogs`], so their logic is tested without a window.

use std::path::PathBuf;

use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// What the commands ask the person. Both calls block until the dialog closes: call them off
/// the async runtime ([`crate::state::run_blocking`]).
pub trait Dialogs: Send + Sync {
    /// The file chosen in a save dialog for a `extension` file named `suggested` by default, or
    /// `None` when the person cancelled.
    fn save_file(&self, title: &str, suggested: &str, extension: &str) -> Option<PathBuf>;
    /// Whether the person pressed `ok` in a confirmation dialog (not Cancel, not closed).
    fn confirm(&self, title: &str, message: &str, ok: &str) -> bool;
}

/// The platform's dialogs, through tauri-plugin-dialog.
pub struct Native(pub tauri::AppHandle);

impl Dialogs for Native {
    fn save_file(&self, title: &str, suggested: &str, extension: &str) -> Option<PathBuf> {
        self.0
            .dialog()
            .file()
            .set_title(title)
            .set_file_name(suggested)
            .add_filter(extension.to_uppercase(), &[extension])
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
    }

    fn confirm(&self, title: &str, message: &str, ok: &str) -> bool {
        self.0
            .dialog()
            .message(message)
            .title(title)
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(
                ok.to_string(),
                "Cancel".to_string(),
            ))
            .blocking_show()
    }
}
