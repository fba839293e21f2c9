//! One Orcha per data directory: the desktop app and `orcha serve` must not both drive the same
//! nodes and write the same database.
//!
//! An exclusive `flock` on `<data dir>/orcha.lock`, held for the life of the process. The kernel
//! drops it when the process dies, however it dies, so a crash never leaves a stale lock. The
//! file names the holder (pid and front door) for the error the second one shows.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{dir} is in use by another Orcha ({holder}); stop it first, or give this one another data directory")]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

/// Held while it lives.
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock of `dir` for `who` (`orcha serve`, `desktop`, …), or says who holds it.
    pub fn acquire(dir: &Path, who: &str) -> Result<DataDirLock, LockError> {
        let path = dir.join("orcha.lock");
        let err = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        crate::create_private_dir(dir).map_err(err)?;
        let mut file = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(err)?
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    dir: dir.to_owned(),
                    holder: if holder.is_empty() {
                        "unknown process".to_owned()
                    } else {
                        holder.to_owned()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
        }
        file.set_len(0).map_err(err)?;
        file.rewind().map_err(err)?;
        write!(file, "pid {} ({who})", std::process::id()).map_err(err)?;
        file.flush().map_err(err)?;
        Ok(DataDirLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path(), "orcha serve").unwrap();
        // flock locks belong to the open file description, so a second open in the same process
        // conflicts exactly as another process would.
        match DataDirLock::acquire(dir.path(), "desktop") {
            Err(LockError::Held { holder, .. }) => {
                assert!(holder.contains("orcha serve"), "{holder}");
                assert!(holder.contains(&std::process::id().to_string()), "{holder}");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        let again = DataDirLock::acquire(dir.path(), "desktop").unwrap();
        assert!(again.path().ends_with("orcha.lock"));
    }
}
