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
