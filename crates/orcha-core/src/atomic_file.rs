//! Replacing a file so that a crash leaves either the old or the new content, never half of one.
//!
//! Used for every file Orcha rewrites that somebody else owns or reads (the operator's settings,
//! Storj's `config.yaml`, Golem's `hardware.json`): a reader or a power cut must never see a
//! truncated file, and the file keeps the owner and mode it had, even when Orcha runs as root.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Per-process counter so two writers in one process never share a temporary name.
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes`: a uniquely named temporary file in the same directory, flushed
/// to disk, given the old file's mode and owner, renamed over it, and the directory synced. A
/// symlink is followed, so the link stays and its target is replaced. A new file gets `new_mode`.
pub fn write_atomically(path: &Path, bytes: &[u8], new_mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir)?;
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        NEXT_TMP.fetch_add(1, Ordering::Relaxed)
    ));
    let old = std::fs::metadata(&target).ok();
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        match &old {
            Some(meta) => {
                std::fs::set_permissions(&tmp, meta.permissions())?;
                // Only root can give a file away; anyone else already owns what they create.
                if meta.uid() != current_uid(&tmp)? {
                    std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()))?;
                }
            }
            None => std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(new_mode))?,
        }
        std::fs::rename(&tmp, &target)?;
        // The rename is durable only once the directory entry is on disk too.
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn current_uid(created: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(created)?.uid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile_dir();
        let path = dir.join("config.yaml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn new_file_gets_the_requested_mode() {
        let dir = tempfile_dir();
        let path = dir.join("token");
        write_atomically(&path, b"secret", 0o600).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn symlink_target_is_replaced_and_link_kept() {
        let dir = tempfile_dir();
        let real = dir.join("real.toml");
        let link = dir.join("link.toml");
        std::fs::write(&real, "a").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"b", 0o600).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "b");
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "orcha-atomic-{}-{}",
            std::process::id(),
            NEXT_TMP.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
