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
