//! The run lock: at most one `run` per store, so cron overlaps exit 75 at once.
//!
//! An advisory `flock` on `<store>.lock`, held for the life of the run. The kernel drops it
//! when the process ends however it ends (even SIGKILL), so a crashed run never blocks the
//! next one; the file itself may stay and means nothing on its own. The holder writes its
//! pid and start time into the file for the operator who wonders who holds it.

use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct RunLock {
    _file: File,
}

/// Why the lock could not be taken.
pub enum Held {
    /// Another process holds it; its note (pid and start), if readable.
    By(String),
}

pub fn lock_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

impl RunLock {
    pub fn acquire(store: &Path) -> Result<Result<RunLock, Held>> {
        let path = lock_path(store);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                writeln!(
                    file,
                    "pid {} since {}",
                    std::process::id(),
                    dossier_model::fmt_time(chrono::Utc::now())
                )?;
                Ok(Ok(RunLock { _file: file }))
            }
            Err(TryLockError::WouldBlock) => {
                let mut note = String::new();
                let _ = file.read_to_string(&mut note);
                Ok(Err(Held::By(note.trim().to_string())))
            }
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.sqlite");
        let first = RunLock::acquire(&store).unwrap().ok().expect("first lock");
        match RunLock::acquire(&store).unwrap() {
            Err(Held::By(note)) => assert!(
                note.starts_with(&format!("pid {}", std::process::id())),
                "{note}"
            ),
            Ok(_) => panic!("second lock must be refused"),
        }
        drop(first);
        assert!(RunLock::acquire(&store).unwrap().is_ok());
    }
}
