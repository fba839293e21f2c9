//! Detection against real parts: a loopback listener on a port the test picks, and a process
//! named like a Storj node (a copy of `sleep` called `storagenode`).

use std::process::Command;

use orcha_core::ProtocolId;
use orcha_usage::detect::{detect, DetectOptions, Evidence};
use orcha_usage::UsageTarget;

fn opts(ports: Vec<(ProtocolId, u16)>) -> DetectOptions {
    DetectOptions {
        ports,
        docker: None,
        systemd: false,
        ..DetectOptions::default()
    }
}

#[tokio::test]
async fn a_listening_loopback_port_is_proposed_with_its_owner() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // A second free port with nothing listening must not be proposed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let d = detect(&opts(vec![
        (ProtocolId::Golem, port),
        (ProtocolId::Streamr, closed),
    ]))
    .await;
    let p = d
        .proposals
        .iter()
        .find(|p| {
            p.evidence
                .iter()
                .any(|e| matches!(e, Evidence::Port { port: q, .. } if *q == port))
        })
        .unwrap_or_else(|| panic!("port {port} not proposed: {:?}", d.proposals));
    assert_eq!(p.protocol, ProtocolId::Golem);
    assert_eq!(
        p.endpoint.as_deref(),
        Some(format!("http://127.0.0.1:{port}").as_str())
    );
    assert!(
        p.evidence.contains(&Evidence::Port {
            port,
            pid: Some(std::process::id() as i32)
        }),
        "{:?}",
        p.evidence
    );
    assert!(!d.proposals.iter().any(|p| p
        .evidence
        .iter()
        .any(|e| matches!(e, Evidence::Port { port: q, .. } if *q == closed))));
    assert!(
        d.proposals.iter().all(|p| p.app_key.is_none()),
        "no secret read unless asked"
    );
}

#[tokio::test]
async fn a_process_named_like_a_node_is_proposed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = dir.path().join("storagenode");
    std::fs::copy("/bin/sleep", &exe).expect("copy sleep");
    let mut child = Command::new(&exe)
        .arg("60")
        .spawn()
        .expect("start storagenode");
    let pid = child.id() as i32;
    // Wait for the exec: until then the child still carries the test's name.
    for _ in 0..100 {
        if std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim() == "storagenode")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let d = detect(&opts(vec![])).await;
    let _ = child.kill();
    let _ = child.wait();
    let p = d
        .proposals
        .iter()
        .find(|p| {
            p.evidence
                .iter()
                .any(|e| matches!(e, Evidence::Process { pid: q, .. } if *q == pid))
        })
        .unwrap_or_else(|| panic!("pid {pid} not proposed: {:?}", d.proposals));
    assert_eq!(p.protocol, ProtocolId::Storj);
    assert!(p.name.starts_with("storj"), "{}", p.name);
    assert!(
        matches!(p.target, Some(UsageTarget::Process(_))),
        "{:?}",
        p.target
    );
}

/// A `storagenode` stand-in that takes `--config-dir` like the real one: a python script
/// (its `comm` is the script's name) run by the real interpreter, with no child of its own.
fn start_script_node(dir: &std::path::Path, config_dir: &std::path::Path) -> std::process::Child {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join("storagenode");
    if !exe.exists() {
        // The interpreter itself, not a version-manager shim that would exec it and rename us.
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3");
        let python = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        std::fs::write(&exe, format!("#!{python}\nimport time\ntime.sleep(60)\n"))
            .expect("write script");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    Command::new(&exe)
        .args(["run", &format!("--config-dir={}", config_dir.display())])
        .spawn()
        .expect("start script node")
}

#[tokio::test]
async fn two_storj_nodes_are_told_apart_by_their_config_dirs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut children = vec![];
    for (i, port) in [(1, 14901), (2, 14902)] {
        let cfg = dir.path().join(format!("node{i}"));
        std::fs::create_dir(&cfg).expect("config dir");
        std::fs::write(
            cfg.join("config.yaml"),
            format!("console.address: 127.0.0.1:{port}\nstorage.path: /srv/storj{i}\n"),
        )
        .expect("config");
        children.push((start_script_node(dir.path(), &cfg), cfg));
    }
    for (c, _) in &children {
        let pid = c.id();
        for _ in 0..100 {
            if std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "storagenode")
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    let d = detect(&opts(vec![])).await;
    for (c, _) in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let mut names = vec![];
    for (i, (c, cfg)) in children.iter().enumerate() {
        let pid = c.id() as i32;
        let p = d
            .proposals
            .iter()
            .find(|p| {
                p.evidence
                    .iter()
                    .any(|e| matches!(e, Evidence::Process { pid: q, .. } if *q == pid))
            })
            .unwrap_or_else(|| panic!("pid {pid} not proposed: {:?}", d.proposals));
        assert_eq!(
            p.endpoint.as_deref(),
            Some(format!("http://127.0.0.1:{}", 14901 + i).as_str())
        );
        assert_eq!(p.storage_path, Some(format!("/srv/storj{}", i + 1).into()));
        let want = orcha_usage::ProcessSelector::Names(vec![orcha_usage::NameMatch::with_arg(
            "storagenode",
            &cfg.to_string_lossy(),
        )]);
        assert_eq!(p.target, Some(UsageTarget::Process(want)));
        names.push(p.name.clone());
    }
    assert_ne!(names[0], names[1], "unique names");
}

/// Writes an executable shell script that records it ran and prints `json`.
fn fake_program(dir: &std::path::Path, name: &str, json: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let ran = dir.join(format!("{name}.ran"));
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ntouch '{}'\ncat <<'JSON'\n{json}\nJSON\n",
            ran.display()
        ),
    )
    .expect("write fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test]
async fn units_are_proposed_and_the_app_key_is_read_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let systemctl = fake_program(
        dir.path(),
        "systemctl",
        r#"[{"unit":"golem-provider.service","load":"loaded","active":"active","sub":"running"},{"unit":"cron.service","active":"active"}]"#,
    );
    let yagna = fake_program(
        dir.path(),
        "yagna",
        r#"[{"name":"orcha","key":"s3cr3t","id":"0x1"}]"#,
    );
    let mut o = opts(vec![]);
    o.systemd = true;
    o.systemctl = systemctl;
    o.yagna = yagna;

    let d = detect(&o).await;
    let golem: Vec<_> = d
        .proposals
        .iter()
        .filter(|p| p.protocol == ProtocolId::Golem)
        .collect();
    let p = golem
        .iter()
        .find(|p| p.target == Some(UsageTarget::Unit("golem-provider.service".into())))
        .unwrap_or_else(|| panic!("unit not proposed: {:?}", d.proposals));
    assert!(p.app_key.is_none());
    assert!(
        !dir.path().join("yagna.ran").exists(),
        "yagna must not run unless asked"
    );
    assert!(dir.path().join("systemctl.ran").exists());
    assert!(!d.proposals.iter().any(|p| p.name.contains("cron")));

    o.read_yagna_app_key = true;
    let d = detect(&o).await;
    let p = d
        .proposals
        .iter()
        .find(|p| p.app_key.is_some())
        .unwrap_or_else(|| panic!("no key: {:?} {:?}", d.proposals, d.notes));
    assert_eq!(p.protocol, ProtocolId::Golem);
    assert_eq!(
        p.app_key.as_ref().map(|k| k.expose().as_str()),
        Some("s3cr3t")
    );
    // The key never shows in debug output.
    assert!(!format!("{:?}", d.proposals).contains("s3cr3t"));
    assert!(p.evidence.contains(&Evidence::AppKey {
        name: "orcha".into()
    }));
}

#[tokio::test]
async fn a_missing_systemctl_is_a_note_not_a_failure() {
    let mut o = opts(vec![]);
    o.systemd = true;
    o.systemctl = "/nonexistent/systemctl".into();
    let d = detect(&o).await;
    assert!(
        d.notes.iter().any(|n| n.contains("/nonexistent/systemctl")),
        "{:?}",
        d.notes
    );
}
