//! Scheduled backups for real: the schedule writes age-encrypted files of the real SQLite
//! database that restore to the same rows, keeps only the newest `backup.retention`, refuses to
//! run without a passphrase (naming the keyring entry), a wrong passphrase restores nothing, and
//! a schedule saved in Settings is followed at once, without a restart; an encrypted database is
//! backed up under its own key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use orcha_api::backups;
use orcha_core::config::BACKUP_PASSPHRASE_KEY;
use orcha_store::backup::{restore, BackupError, SecretString};
use orcha_testkit::TestApp;
use tokio_util::sync::CancellationToken;

const PASS: &str = "correct horse battery staple";

fn app(dir: &std::path::Path, with_passphrase: bool) -> TestApp {
    let dir = dir.to_owned();
    let mut b = TestApp::builder().configure(move |c| {
        c.backup.dir = dir.display().to_string();
        c.backup.retention = 2;
    });
    if with_passphrase {
        b = b.secret(BACKUP_PASSPHRASE_KEY, PASS);
    }
    b.build()
}

/// The audit rows the backups left: the file names, oldest first.
async fn audited(app: &TestApp) -> Vec<String> {
    let mut rows = app
        .state
        .db(|s| s.audit_log(500, None))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.key == "backup")
        .map(|r| r.new_value.unwrap())
        .collect::<Vec<_>>();
    rows.reverse();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_writes_encrypted_backups_that_restore_and_keeps_the_newest() {
    let out = tempfile::tempdir().unwrap();
    let app = app(out.path(), true);
    // A change the backups must carry: pausing automation writes an audit row.
    orcha_api::ops::set_paused(
        &app.state,
        orcha_api::dto::PauseRequest { paused: true },
        orcha_api::actor::Actor::Api,
    )
    .await
    .unwrap();

    let cancel = CancellationToken::new();
    let task = tokio::spawn(backups::run_every(
        Arc::clone(&app.state),
        Duration::from_millis(300),
        cancel.clone(),
    ));
    let start = std::time::Instant::now();
    while audited(&app).await.len() < 4 {
        assert!(start.elapsed() < Duration::from_secs(30), "too few backups");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    task.await.unwrap();

    // Retention 2: of the four (or more) made, only the newest two are left.
    let made = audited(&app).await;
    let mut left: Vec<String> = backups::list(out.path())
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    left.reverse();
    assert_eq!(left, made[made.len() - 2..].to_vec(), "made {made:?}");
    for name in &left {
        let path = out.path().join(name);
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(b"age-encryption.org/v1"),
            "{name} is an age file"
        );
        assert!(
            !bytes.windows(15).any(|w| w == b"SQLite format 3"),
            "{name} must not hold the database in the clear"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }

    // The newest restores to the same rows; the wrong passphrase restores nothing.
    let newest = out.path().join(left.last().unwrap());
    let target = out.path().join("restored").join("orcha.db");
    let wrong = restore(
        &newest,
        SecretString::from("wrong".to_owned()),
        &target,
        None,
        false,
        chrono::Utc::now(),
    )
    .unwrap_err();
    assert!(
        matches!(wrong, BackupError::WrongPassphrase { .. }),
        "{wrong}"
    );
    assert!(!target.exists());
    restore(
        &newest,
        SecretString::from(PASS.to_owned()),
        &target,
        None,
        false,
        chrono::Utc::now(),
    )
    .unwrap();
    let restored = orcha_store::Store::open(&target).unwrap();
    let paused = restored.latest_audited("automation.paused").unwrap();
    assert!(!paused.is_empty(), "the pause is in the restored database");
    // Every backup before this one is in the restored audit log too (the last one is audited
    // after its file is written).
    let restored_backups = restored
        .audit_log(500, None)
        .unwrap()
        .into_iter()
        .filter(|r| r.key == "backup")
        .count();
    assert_eq!(restored_backups, made.len() - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_passphrase_nothing_is_written_and_the_error_names_the_entry() {
    let out = tempfile::tempdir().unwrap();
    let app = app(out.path(), false);
    let err = orcha_api::ops::run_backup(&app.state, orcha_api::actor::Actor::Api)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some(BACKUP_PASSPHRASE_KEY));
    assert!(err.message.contains("backup:passphrase"), "{}", err.message);
    assert!(backups::list(out.path()).unwrap().is_empty());

    // The schedule opens an alert for the failure instead of failing silently.
    let cancel = CancellationToken::new();
    let task = tokio::spawn(backups::run_every(
        Arc::clone(&app.state),
        Duration::from_secs(3600),
        cancel.clone(),
    ));
    let start = std::time::Instant::now();
    loop {
        let open = app.state.db(|s| s.alerts(false, 10)).await.unwrap();
        if open.iter().any(|a| a.rule == "backup_failed") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no alert: {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    task.await.unwrap();

    // Listed through the API: the schedule, the retention and that no passphrase is stored.
    let listed = orcha_api::ops::backups(&app.state).await.unwrap();
    assert_eq!(listed.retention, 2);
    assert!(!listed.passphrase_stored);
    assert!(listed.backups.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_is_set_from_settings_and_checked_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "# mine\n").unwrap();
    let app = TestApp::builder().build();
    app.state.settings.use_file(file.clone());
    let mut values = orcha_api::ops::settings(&app.state).await.unwrap().values;
    assert_eq!(
        (values.backup.interval_hours, values.backup.retention),
        (0, 7)
    );

    values.backup.interval_hours = 9000;
    let err = orcha_api::ops::update_settings(
        &app.state,
        values.clone(),
        orcha_api::actor::Actor::Desktop,
    )
    .await
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("backup.interval_hours"));

    values.backup.interval_hours = 24;
    values.backup.retention = 14;
    let saved =
        orcha_api::ops::update_settings(&app.state, values, orcha_api::actor::Actor::Desktop)
            .await
            .unwrap();
    // The running schedule follows the save (see the next test); nothing waits for a restart.
    assert_eq!(
        saved.applied_live,
        [
            "backup.interval_hours".to_owned(),
            "backup.retention".to_owned()
        ]
    );
    assert!(saved.needs_restart.is_empty(), "{:?}", saved.needs_restart);
    let reloaded = orcha_core::config::Config::load(&file).unwrap();
    assert_eq!(reloaded.backup.interval_hours, 24);
    assert_eq!(reloaded.backup.retention, 14);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("# mine"),
        "the operator's comment is kept: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_saved_in_settings_is_followed_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "").unwrap();
    let out = dir.path().join("backups");
    // Started with scheduled backups off (interval 0), as the config says.
    let app = app(&out, true);
    app.state.settings.use_file(file);
    let cancel = CancellationToken::new();
    // An "hour" of 100 ms, so a 2-hour interval is 200 ms.
    let task = tokio::spawn(backups::run_scheduled(
        Arc::clone(&app.state),
        Duration::from_millis(100),
        cancel.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        audited(&app).await.is_empty(),
        "off while interval_hours = 0"
    );

    let save = |hours: i64, retention: i64| {
        let state = Arc::clone(&app.state);
        async move {
            let mut values = orcha_api::ops::settings(&state).await.unwrap().values;
            values.backup.interval_hours = hours;
            values.backup.retention = retention;
            orcha_api::ops::update_settings(&state, values, orcha_api::actor::Actor::Desktop)
                .await
                .unwrap()
        }
    };
    let saved = save(2, 3).await;
    assert!(saved.needs_restart.is_empty(), "{:?}", saved.needs_restart);
    let start = std::time::Instant::now();
    while audited(&app).await.len() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the new schedule was not followed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Off again: at most the backup already under way finishes, then none.
    let at_off = audited(&app).await.len();
    save(0, 3).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let settled = audited(&app).await.len();
    assert!(settled <= at_off + 1, "{settled} after {at_off}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(audited(&app).await.len(), settled, "still backing up");
    cancel.cancel();
    task.await.unwrap();

    // The retention saved with it was used too (3, not the configured 2), and the API shows
    // the schedule in force.
    let listed = orcha_api::ops::backups(&app.state).await.unwrap();
    assert_eq!((listed.interval_hours, listed.retention), (0, 3));
    assert_eq!(listed.backups.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_database_is_backed_up_under_its_own_key_and_restores() {
    let out = tempfile::tempdir().unwrap();
    let key = orcha_store::DbKey::generate().unwrap();
    let dir = out.path().to_owned();
    let app = TestApp::builder()
        .configure(move |c| c.backup.dir = dir.display().to_string())
        .secret(BACKUP_PASSPHRASE_KEY, PASS)
        .db_key(key.clone())
        .build();
    orcha_api::ops::set_paused(
        &app.state,
        orcha_api::dto::PauseRequest { paused: true },
        orcha_api::actor::Actor::Api,
    )
    .await
    .unwrap();
    let rows = app.state.db(|s| s.row_counts()).await.unwrap();

    // "Back up now" and the schedule share this path.
    let made = backups::run_once(&app.state, "api").await.unwrap();
    // Nothing but the archive in the backup directory: no copy, plain or not, left behind.
    let names: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "{names:?}");

    // Restored as an install with that key would: still encrypted, the same rows.
    let target = out.path().join("restored").join("orcha.db");
    let t = chrono::Utc::now();
    let restored = orcha_store::backup::restore_with_key(
        &made.path,
        SecretString::from(PASS.to_owned()),
        &target,
        None,
        false,
        t,
        &mut |archive| {
            assert_eq!(
                archive,
                Some(&key),
                "the archive carries the database's key"
            );
            Ok(archive.cloned())
        },
    )
    .unwrap();
    assert!(restored.manifest.encrypted && restored.encrypted);
    assert!(orcha_store::cipher::is_encrypted(&target).unwrap());
    let back = orcha_store::Store::open_with_key(&target, Some(&key)).unwrap();
    assert_eq!(back.row_counts().unwrap(), rows);
}
