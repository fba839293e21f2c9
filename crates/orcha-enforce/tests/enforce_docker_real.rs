//! The Docker backend against a real Docker Engine: limits applied, read back through
//! `docker inspect`, rolled back; a missing container and a dead socket give the named errors.
//!
//! `scripts/test.sh` starts `dockerd` without a bridge (`--bridge=none`), so no container can put
//! traffic on Docker's private range, and sets `ORCHA_DOCKER=1`. The image is made here from the
//! static busybox of Debian's `busybox-static` (no registry is reachable); the container runs
//! with `--network none`. Without `ORCHA_DOCKER` the test prints why and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::Command;

use orcha_core::ResourceKind;
use orcha_enforce::docker::{DockerBackend, NO_MEMORY_LIMIT};
use orcha_enforce::{EnforceError, EnforcementBackend, Limits, UNLIMITED};

const IMAGE: &str = "orcha-test/busybox:local";

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn engine_available() -> bool {
    if std::env::var_os("ORCHA_DOCKER").is_none() {
        println!("skipped: ORCHA_DOCKER is not set (scripts/test.sh sets it once dockerd runs)");
        return false;
    }
    true
}

/// A one-file image: the static busybox as `/bin/sh` and `/bin/sleep`.
fn ensure_image() {
    let known = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .unwrap();
    if known.status.success() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox-static is installed");
    for name in ["sh", "sleep"] {
        std::os::unix::fs::symlink("busybox", bin.join(name)).unwrap();
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C '{}' -c . | docker import - {IMAGE} >/dev/null",
            root.path().display()
        ))
        .status()
        .unwrap();
    assert!(status.success(), "docker import failed");
}

/// A running container, removed when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn inspect(name: &str) -> (i64, i64) {
    let out = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
        name,
    ]);
    let mut parts = out.split_whitespace().map(|p| p.parse::<i64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[tokio::test]
async fn limits_apply_read_back_and_roll_back_on_a_real_engine() {
    if !engine_available() {
        return;
    }
    ensure_image();
    let name = format!("orcha-enforce-test-{}", std::process::id());
    docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        IMAGE,
        "/bin/sleep",
        "600",
    ]);
    let container = Container(name);
    let backend = DockerBackend::new("", &container.0);

    // A container started without limits reads back as unlimited.
    let before = backend.read().await.unwrap();
    assert_eq!(before[&ResourceKind::Cpu], UNLIMITED);
    assert_eq!(before[&ResourceKind::Memory], UNLIMITED);

    let wanted = Limits::from([(ResourceKind::Cpu, 500), (ResourceKind::Memory, 64 << 20)]);
    let read = backend.apply(&wanted).await.unwrap();
    assert_eq!(read, wanted);
    // The engine itself, asked through its own CLI, holds what the backend wrote.
    assert_eq!(inspect(&container.0), (500_000_000, 64 << 20));

    // Rolling back to the state read before lifts both limits again.
    let read = backend.apply(&before).await.unwrap();
    assert_eq!(read, before);
    // What "no limit" is on a real Engine: all of the host's CPUs and the kernel's maximum.
    let ncpu: i64 = docker(&["info", "-f", "{{.NCPU}}"]).parse().unwrap();
    assert_eq!(
        inspect(&container.0),
        (ncpu * 1_000_000_000, NO_MEMORY_LIMIT)
    );
}

#[tokio::test]
async fn a_missing_container_and_a_dead_socket_are_named() {
    if !engine_available() {
        return;
    }
    let missing = DockerBackend::new("", "orcha-no-such-container-4e1f");
    match missing.read().await {
        Err(EnforceError::NotFound { what }) => {
            assert!(what.contains("orcha-no-such-container-4e1f"), "{what}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let dead = DockerBackend::new(socket.to_str().unwrap(), "storagenode");
    match dead.read().await {
        Err(EnforceError::Io { target, .. }) => {
            assert!(target.contains("docker.sock"), "{target}")
        }
        other => panic!("expected an IO error naming the socket, got {other:?}"),
    }
}
