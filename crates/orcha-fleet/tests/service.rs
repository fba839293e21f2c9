//! The generated systemd unit passes `systemd-analyze verify`, and a secret survives
//! `systemd-creds encrypt` into the credential store the service reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::process::Command;

use orcha_core::secret::{SecretKey, SecretStore, Sensitive};
use orcha_fleet::credentials::{self, CredentialFile, CredentialsDirStore};
use orcha_fleet::service::{unit_text, Scope, ServiceSpec};

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn spec(scope: Scope, dir: &std::path::Path) -> ServiceSpec {
    let cred = dir.join("golem.main.app_key.cred");
    std::fs::write(&cred, "x").unwrap();
    ServiceSpec {
        scope,
        // verify checks that ExecStart exists and is executable; this test binary is both.
        exe: std::env::current_exe().unwrap(),
        config: Some(PathBuf::from("/etc/orcha/config 100%.toml")),
        data_dir: dir.join("data"),
        user: None,
        credentials: vec![CredentialFile {
            name: "golem.main.app_key".into(),
            path: cred,
            encrypted: scope == Scope::System,
        }],
        environment: vec![("RUST_LOG".into(), "info".into())],
    }
}

#[test]
fn generated_units_pass_systemd_analyze_verify() {
    let dir = tempfile::tempdir().unwrap();
    for scope in [Scope::System, Scope::User] {
        let text = unit_text(&spec(scope, dir.path()));
        for line in [
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "Delegate=yes",
            "Restart=on-failure",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        assert!(text.contains("config 100%%.toml"), "{text}");
        if scope == Scope::System {
            assert!(text.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_OVERRIDE"));
            assert!(text.contains("LoadCredentialEncrypted=golem.main.app_key:"));
            assert!(text.contains("ProtectHome=yes"));
        } else {
            assert!(!text.contains("CapabilityBoundingSet"));
            assert!(text.contains("LoadCredential=golem.main.app_key:"));
        }
        if !have("systemd-analyze") {
            println!("skipped systemd-analyze verify: systemd-analyze is not installed (apt-get install systemd)");
            continue;
        }
        let unit = dir.path().join("orcha.service");
        std::fs::write(&unit, &text).unwrap();
        let mut cmd = Command::new("systemd-analyze");
        if scope == Scope::User {
            // The user manager needs a runtime dir; a root test shell has none of its own.
            let runtime = dir.path().join("runtime");
            std::fs::create_dir_all(&runtime).unwrap();
            cmd.arg("--user").env("XDG_RUNTIME_DIR", &runtime);
        }
        let out = cmd.arg("verify").arg(&unit).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // verify also loads the units ours depends on; in a container without systemd running
        // those may be absent, which says nothing about our unit. Lines naming it must not exist.
        let ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("orcha.service"))
            .collect();
        println!(
            "{scope:?}: systemd-analyze verify exit {:?}; stderr:\n{stderr}",
            out.status.code()
        );
        assert!(
            ours.is_empty(),
            "{scope:?} unit rejected:\n{stderr}\n{text}"
        );
    }
}

#[test]
fn systemd_creds_encrypted_secret_reaches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey("grass:main/token".into());
    let secret = Sensitive::new("t0ken-value".to_owned());
    let stored = match credentials::store_credential(
        Scope::System,
        &dir.path().join("creds"),
        &key,
        &secret,
    ) {
        Ok(f) => f,
        Err(e) => {
            println!("skipped: systemd-creds cannot encrypt here ({e})");
            return;
        }
    };
    assert!(stored.encrypted);
    let on_disk = std::fs::read(&stored.path).unwrap();
    assert!(
        !String::from_utf8_lossy(&on_disk).contains("t0ken-value"),
        "the credential file holds the plain secret"
    );
    // What systemd does at service start: decrypt into $CREDENTIALS_DIRECTORY under the name.
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    let out = Command::new("systemd-creds")
        .args(["decrypt", &format!("--name={}", stored.name)])
        .arg(&stored.path)
        .arg(run_dir.join(&stored.name))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let store = CredentialsDirStore::new(&run_dir);
    assert_eq!(store.get(&key).unwrap().unwrap().expose(), "t0ken-value");
    assert_eq!(
        credentials::list_credentials(&dir.path().join("creds")),
        vec![stored]
    );
}
