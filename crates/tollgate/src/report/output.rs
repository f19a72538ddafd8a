//! Writing a report atomically: into a new temporary file in the destination's folder, flushed
//! to disk, then renamed over the destination. A failed or interrupted export leaves the
//! destination as it was (absent, or the previous report) and removes its temporary file.
//!
//! The destination may be a new file or an existing *regular* file, which is replaced; a folder,
//! a symbolic link or a special file is refused, and so is a missing folder.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};

use crate::{Error, Result};

/// A report being written; dropped without [`commit`](Self::commit), it removes its temporary
/// file and leaves the destination untouched.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
}

/// Check that `target` may be written: its folder exists and it is absent or a regular file.
pub fn check_target(target: &Path) -> Result<()> {
    if target.file_name().is_none() {
        return Err(Error::bad_input(format!(
            "the report file {} names no file; give a file name such as audit.pdf",
            target.display()
        )));
    }
    let parent = parent_of(target);
    match std::fs::metadata(&parent) {
        Ok(m) if m.is_dir() => {}
        _ => {
            return Err(Error::bad_input(format!(
                "the folder {} for the report does not exist; create it first or write elsewhere",
                parent.display()
            )))
        }
    }
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::bad_input(format!(
            "cannot inspect the report file {}: {e}",
            target.display()
        ))),
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => Err(Error::bad_input(format!(
            "the report file {} is {}, not a regular file; only a new file or an existing report is replaced",
            target.display(),
            if m.file_type().is_dir() {
                "a folder"
            } else if m.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "a special file"
            }
        ))),
    }
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl AtomicFile {
    /// Start writing `target` (checked with [`check_target`]).
    pub fn create(target: &Path) -> Result<Self> {
        check_target(target)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut random = [0u8; 6];
        OsRng.fill_bytes(&mut random);
        let tmp = parent_of(target).join(format!(".{name}.{}.tmp", hex::encode(random)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| {
                Error::bad_input(format!(
                    "cannot create a file in {}: {e}; write the report to a folder you can write to",
                    parent_of(target).display()
                ))
            })?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Where the bytes go until [`commit`](Self::commit).
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("not committed")
    }

    /// Flush to disk and rename over the destination; returns the size written.
    pub fn commit(mut self) -> Result<u64> {
        let file = self.file.take().expect("not committed");
        let failed = |e: std::io::Error| {
            Error::internal(format!(
                "cannot write the report {}: {e}; nothing was written there",
                self.target.display()
            ))
        };
        let file = file.into_inner().map_err(|e| failed(e.into_error()))?;
        file.sync_all().map_err(failed)?;
        let size = file.metadata().map_err(failed)?.len();
        drop(file);
        // Re-check: something may have appeared at the destination meanwhile.
        check_target(&self.target)?;
        std::fs::rename(&self.tmp, &self.target).map_err(failed)?;
        // Make the rename itself durable (best effort: not every platform syncs folders).
        if let Ok(dir) = File::open(parent_of(&self.target)) {
            let _ = dir.sync_all();
        }
        self.tmp = PathBuf::new();
        Ok(size)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.json");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"half").unwrap();
            // dropped: a failed export
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(f.commit().unwrap(), 3);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_folders_links_and_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let e = AtomicFile::create(dir.path()).unwrap_err();
        assert!(e.message.contains("a folder"), "{}", e.message);
        let e = AtomicFile::create(&dir.path().join("nope/r.csv")).unwrap_err();
        assert!(e.message.contains("does not exist"), "{}", e.message);
        #[cfg(unix)]
        {
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
            let e = AtomicFile::create(&link).unwrap_err();
            assert!(e.message.contains("symbolic link"), "{}", e.message);
        }
    }
}
