//! The run lock: at most one `run` per SQLite store, so cron overlaps exit 75 at once.
//!
//! An advisory `flock` on `<store>.lock`, held for the life of the run. The kernel drops it
//! when the process ends however it ends (even SIGKILL), so a crashed run never blocks the
//! next one; the file itself may stay and means nothing on its own. The holder writes its
//! pid and start time into the file for the operator who wonders who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct RunLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it; its note (pid and start), if readable.
    #[error("another run holds the lock on {store}{}", note_of(.note))]
    Held { store: String, note: String },
    #[error("cannot use the lock file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn note_of(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!(" ({note})")
    }
}

pub fn lock_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

impl RunLock {
    /// Takes the lock of the store at `store`, or says who holds it.
    pub fn acquire(store: &Path) -> Result<RunLock, LockError> {
        let path = lock_path(store);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(io)?;
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                writeln!(
                    file,
                    "pid {} since {}",
                    std::process::id(),
                    dossier_model::fmt_time(chrono::Utc::now())
                )
                .map_err(io)?;
                Ok(RunLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut note = String::new();
                let _ = file.read_to_string(&mut note);
                Err(LockError::Held {
                    store: store.display().to_string(),
                    note: note.trim().to_string(),
                })
            }
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_note() {
        let dir = std::env::temp_dir().join(format!("dossier-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = dir.join("s.sqlite");
        let first = RunLock::acquire(&store).unwrap();
        match RunLock::acquire(&store) {
            Err(LockError::Held { note, .. }) => {
                assert!(
                    note.starts_with(&format!("pid {}", std::process::id())),
                    "{note}"
                )
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("second lock must be refused"),
        }
        drop(first);
        assert!(RunLock::acquire(&store).is_ok(), "released on drop");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
