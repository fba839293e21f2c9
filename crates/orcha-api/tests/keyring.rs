//! A real round trip through the OS keyring (Secret Service on Linux).
//!
//! `scripts/test.sh` runs the suite inside a private D-Bus session with an unlocked
//! gnome-keyring, which is the backend desktop Linux users have. Outside such a session the
//! test fails with the keyring's own error rather than passing vacuously; set
//! `ORCHA_NO_KEYRING=1` to opt out explicitly on a machine without one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orcha_api::keyring::OsKeyring;
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};

#[test]
fn store_read_and_delete_through_the_os_keyring() {
    if std::env::var_os("ORCHA_NO_KEYRING").is_some() {
        eprintln!("ORCHA_NO_KEYRING is set: the OS keyring round trip was NOT tested");
        return;
    }
    // A separate service name keeps the operator's real entries out of reach of tests.
    let keyring = OsKeyring::with_service("depin-orcha-test");
    let key = SecretKey(format!("golem:test-{}/app_key", std::process::id()));
    keyring
        .delete(&key)
        .expect("deleting a missing entry is fine");
    assert!(keyring.get(&key).expect("keyring reachable").is_none());
    keyring
        .set(&key, Sensitive::new("app-key-123".into()))
        .expect("store");
    let fresh = OsKeyring::with_service("depin-orcha-test");
    assert_eq!(
        fresh.get(&key).expect("read").expect("stored").expose(),
        "app-key-123"
    );
    keyring.delete(&key).expect("delete");
    assert!(fresh.get(&key).expect("read after delete").is_none());
}
