//! Native dialogs that the Rust side opens itself, so that what they decide (where a report is
//! written, which workspace is opened, whether the signing key is replaced, whether an approval,
//! rejection, promotion or rollback is signed) comes from the person and never from the page.
//! Commands reach them through [`Dialogs`], so their logic is tested without a window.

use std::path::PathBuf;

use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// What the commands ask the person. Both calls block until the dialog closes: call them off
/// the async runtime ([`crate::state::run_blocking`]).
pub trait Dialogs: Send + Sync {
    /// The file chosen in a save dialog for a `extension` file (any file when empty) named
    /// `suggested` by default, or `None` when the person cancelled.
    fn save_file(&self, title: &str, suggested: &str, extension: &str) -> Option<PathBuf>;
    /// The existing `extension` file (described as `kind`; any file when `extension` is empty)
    /// chosen in an open dialog, or `None` when the person cancelled.
    fn open_file(&self, title: &str, kind: &str, extension: &str) -> Option<PathBuf>;
    /// Whether the person pressed `ok` in a confirmation dialog (not Cancel, not closed).
    fn confirm(&self, title: &str, message: &str, ok: &str) -> bool;
}

/// The platform's dialogs, through tauri-plugin-dialog.
pub struct Native(pub tauri::AppHandle);

impl Dialogs for Native {
    fn save_file(&self, title: &str, suggested: &str, extension: &str) -> Option<PathBuf> {
        let mut dialog = self
            .0
            .dialog()
            .file()
            .set_title(title)
            .set_file_name(suggested);
        if !extension.is_empty() {
            dialog = dialog.add_filter(extension.to_uppercase(), &[extension]);
        }
        dialog.blocking_save_file().and_then(|p| p.into_path().ok())
    }

    fn open_file(&self, title: &str, kind: &str, extension: &str) -> Option<PathBuf> {
        let mut dialog = self.0.dialog().file().set_title(title);
        if !extension.is_empty() {
            dialog = dialog.add_filter(kind, &[extension]);
        }
        dialog.blocking_pick_file().and_then(|p| p.into_path().ok())
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

/// Dialogs that answer as scripted and record what they were asked, for the commands' tests.
#[cfg(test)]
pub mod scripted {
    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::Dialogs;

    #[derive(Default)]
    pub struct Scripted {
        /// What the save dialog chooses.
        pub save_to: Option<PathBuf>,
        /// What the open dialog chooses.
        pub open: Option<PathBuf>,
        /// Whether confirmations are confirmed.
        pub confirm: bool,
        /// `title: …` of each dialog, in order.
        pub asked: Mutex<Vec<String>>,
        /// The message of each confirmation, in order.
        pub messages: Mutex<Vec<String>>,
    }

    impl Scripted {
        pub fn confirming() -> Self {
            Scripted {
                confirm: true,
                ..Scripted::default()
            }
        }

        pub fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }

        pub fn messages(&self) -> Vec<String> {
            self.messages.lock().unwrap().clone()
        }
    }

    impl Dialogs for Scripted {
        fn save_file(&self, title: &str, suggested: &str, extension: &str) -> Option<PathBuf> {
            self.asked
                .lock()
                .unwrap()
                .push(format!("{title}: {suggested} (.{extension})"));
            self.save_to.clone()
        }
        fn open_file(&self, title: &str, kind: &str, extension: &str) -> Option<PathBuf> {
            self.asked
                .lock()
                .unwrap()
                .push(format!("{title}: {kind} (.{extension})"));
            self.open.clone()
        }
        fn confirm(&self, title: &str, message: &str, ok: &str) -> bool {
            self.asked.lock().unwrap().push(format!("{title}? {ok}"));
            self.messages.lock().unwrap().push(message.to_string());
            self.confirm
        }
    }
}
