//! One Orcha per data directory across both front doors: while `orcha serve` holds a data
//! directory the desktop app cannot start on it (and the other way round), the refusal names the
//! holder, the demo's lock is separate from the real one, and a lock is free once dropped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orcha_app::startup::lock_data_dirs;

#[test]
fn the_desktop_and_serve_cannot_drive_the_same_data_dir() {
    let root = tempfile::tempdir().unwrap();
    let (serve_dir, desktop_dir) = (root.path().join("serve"), root.path().join("desktop"));

    let serve = lock_data_dirs(std::slice::from_ref(&serve_dir), false, "orcha serve").unwrap();
    // The desktop locks its own directory and the one `orcha serve` would use.
    let err = lock_data_dirs(&[desktop_dir.clone(), serve_dir.clone()], false, "desktop")
        .unwrap_err()
        .to_string();
    assert!(err.contains("in use by another Orcha"), "{err}");
    assert!(err.contains("(orcha serve)"), "the holder is named: {err}");
    assert!(err.contains(&serve_dir.display().to_string()), "{err}");
    assert!(err.contains("stop it first"), "{err}");
    // What the desktop took before it was refused is released again.
    drop(lock_data_dirs(std::slice::from_ref(&desktop_dir), false, "check").unwrap());

    // The demo has its own database and nodes, so its own lock.
    let demo = lock_data_dirs(std::slice::from_ref(&serve_dir), true, "desktop demo").unwrap();
    assert!(demo[0].path().starts_with(serve_dir.join("demo")));
    drop(demo);

    drop(serve);
    let desktop = lock_data_dirs(
        &[desktop_dir.clone(), serve_dir.clone(), desktop_dir],
        false,
        "desktop",
    )
    .unwrap();
    assert_eq!(desktop.len(), 2, "each directory once");
    let err = lock_data_dirs(&[serve_dir], false, "orcha serve")
        .unwrap_err()
        .to_string();
    assert!(err.contains("(desktop)"), "{err}");
}
