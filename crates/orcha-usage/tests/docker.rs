//! A real container through the Engine API, when this machine has a running Docker.

use std::process::Command;
use std::time::{Duration, Instant};

use orcha_usage::cgroup::Hierarchy;
use orcha_usage::docker::DockerEngine;
use orcha_usage::{MeterSpec, NodeMeter, Source, UsageTarget};

/// Why Docker cannot be used here, or the local image with a shell to run.
fn docker_image() -> Result<String, String> {
    let info = Command::new("docker")
        .arg("info")
        .output()
        .map_err(|e| format!("docker: {e}"))?;
    if !info.status.success() {
        return Err(format!(
            "`docker info` failed: {}",
            String::from_utf8_lossy(&info.stderr).trim()
        ));
    }
    // No pulls: a test must not depend on a registry. Any local busybox or alpine will do.
    let out = Command::new("docker")
        .args(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .output()
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("busybox") || l.contains("alpine"))
        .map(str::to_owned)
        .ok_or_else(|| "no local busybox or alpine image".into())
}

struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[tokio::test]
async fn a_container_is_measured_through_the_engine_and_agrees_with_its_cgroup() {
    let image = match docker_image() {
        Ok(i) => i,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let name = format!("orcha-usage-test-{}", std::process::id());
    // 150 MB in /dev/shm is memory charged to the container; the loop burns CPU.
    let script = "head -c 157286400 /dev/zero > /dev/shm/hold && while :; do :; done";
    let out = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &name,
            "--shm-size",
            "256m",
            &image,
            "sh",
            "-c",
            script,
        ])
        .output()
        .expect("docker run");
    let _guard = Container(name.clone());
    assert!(
        out.status.success(),
        "docker run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // Wait for the memory to be written.
    let engine = DockerEngine::new("/var/run/docker.sock", Duration::from_secs(10));
    let mut mem = 0;
    for _ in 0..100 {
        mem = engine.stats(&name).await.expect("stats").mem_bytes;
        if mem >= 150 << 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mem >= 150 << 20, "{mem} bytes");

    // The Engine's CPU counter against the container's own cgroup, read by this crate's
    // cgroup reader: two independent paths to the same kernel counter.
    let rel = match Hierarchy::detect().expect("cgroups") {
        Hierarchy::V1 { .. } => format!("docker/{id}"),
        Hierarchy::V2 { .. } => format!("system.slice/docker-{id}.scope"),
    };
    let mut by_engine = NodeMeter::new(MeterSpec::new(UsageTarget::Container(name.clone())));
    let mut by_cgroup = NodeMeter::new(MeterSpec::new(UsageTarget::Cgroup(rel)));
    let t0 = Instant::now();
    by_engine.sample(t0).await.expect("engine first");
    by_cgroup.sample(t0).await.expect("cgroup first");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t1 = Instant::now();
    let e = by_engine.sample(t1).await.expect("engine second");
    let c = by_cgroup.sample(t1).await.expect("cgroup second");
    let (ec, cc) = (
        e.cpu_millicores.expect("cpu"),
        c.cpu_millicores.expect("cpu"),
    );
    eprintln!(
        "docker: engine {} millicores, cgroup {} millicores, {} bytes",
        ec.value,
        cc.value,
        e.mem_bytes.map_or(0, |m| m.value)
    );
    assert_eq!(ec.source, Source::Docker);
    assert!(cc.value > 0);
    assert!(
        (ec.value as f64 - cc.value as f64).abs() <= cc.value as f64 * 0.3,
        "{ec:?} vs {cc:?}"
    );
    assert!(e.mem_bytes.is_some_and(|m| m.value >= 150 << 20));
}

#[tokio::test]
async fn an_unknown_container_is_an_error_naming_it() {
    if let Err(reason) = docker_image() {
        eprintln!("skipped: {reason}");
        return;
    }
    let engine = DockerEngine::new("/var/run/docker.sock", Duration::from_secs(10));
    let e = engine
        .stats("orcha-usage-no-such-container")
        .await
        .expect_err("unknown");
    assert!(
        e.to_string().contains("orcha-usage-no-such-container"),
        "{e}"
    );
    assert!(engine.list().await.is_ok());
}
