//! The cgroup backend for real: a CPU-burning child moved into a cgroup this test creates gets a
//! 25 % quota through the backend, and its measured CPU share drops to about that. Needs root
//! and a writable cgroup hierarchy (v2 with cpu+memory, or v1); the cgroup is removed on drop.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use orcha_core::ResourceKind;
use orcha_enforce::cgroup::{CgroupBackend, CgroupVersion};
use orcha_enforce::{EnforcementBackend, Limits, UNLIMITED};

/// Kills the child and removes the test's cgroup directories, even when an assertion fails.
struct Guard {
    child: Child,
    dirs: Vec<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for d in &self.dirs {
            // The kernel needs a moment to notice the group is empty.
            for _ in 0..50 {
                if std::fs::remove_dir(d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// CPU seconds the process has used (utime + stime from /proc/<pid>/stat).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = &stat[stat.rfind(')').expect(")") + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ is 100 on Linux
}

fn share_over(pid: u32, window: Duration) -> f64 {
    let (c0, t0) = (cpu_secs(pid), Instant::now());
    std::thread::sleep(window);
    (cpu_secs(pid) - c0) / t0.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_of_25_percent_throttles_a_cpu_burner_and_memory_reads_back() {
    let version = CgroupVersion::detect().expect("a cgroup hierarchy with cpu and memory");
    let name = format!("orcha-test-{}", std::process::id());
    let dirs: Vec<PathBuf> = match &version {
        CgroupVersion::V2 { root } => {
            // The parent must hand the cpu and memory controllers to its children.
            let _ = std::fs::write(root.join("cgroup.subtree_control"), "+cpu +memory");
            vec![root.join(&name)]
        }
        CgroupVersion::V1 { cpu, memory } => vec![cpu.join(&name), memory.join(&name)],
    };
    for d in &dirs {
        std::fs::create_dir_all(d).expect("create the test cgroup (needs root)");
    }
    let child = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .expect("spawn a CPU burner");
    let pid = child.id();
    let guard = Guard { child, dirs };
    for d in &guard.dirs {
        std::fs::write(d.join("cgroup.procs"), pid.to_string()).expect("move into the cgroup");
    }

    let backend = CgroupBackend::new(version.clone(), &name);
    let before = share_over(pid, Duration::from_millis(1500));

    let wanted = Limits::from([
        (ResourceKind::Cpu, 250),
        (ResourceKind::Memory, 256 * 1024 * 1024),
    ]);
    let read = backend.apply(&wanted).await.expect("apply");
    assert_eq!(read, wanted, "read back equals what was written");
    assert_eq!(backend.read().await.unwrap(), wanted);

    // Let the quota take hold, then measure over a few periods.
    std::thread::sleep(Duration::from_millis(300));
    let after = share_over(pid, Duration::from_millis(2000));
    println!(
        "{}: CPU share before {:.0} %, after a 25 % quota {:.0} %",
        version.name(),
        before * 100.0,
        after * 100.0
    );
    assert!(
        after <= 0.25 * 1.2,
        "capped share {after:.3} must be <= 0.30"
    );
    assert!(
        after >= 0.25 * 0.5,
        "capped share {after:.3} should be near 0.25"
    );
    assert!(
        after < before * 0.7,
        "share must drop: {before:.3} -> {after:.3}"
    );

    // Lifting the limits reads back as unlimited.
    let free = Limits::from([
        (ResourceKind::Cpu, UNLIMITED),
        (ResourceKind::Memory, UNLIMITED),
    ]);
    assert_eq!(backend.apply(&free).await.unwrap(), free);
    drop(guard);
}

#[tokio::test]
async fn v2_and_v1_file_formats_on_a_fake_hierarchy() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join("node")).unwrap();
    std::fs::write(root.join("node/cpu.max"), "max 100000\n").unwrap();
    std::fs::write(root.join("node/memory.max"), "max\n").unwrap();
    let v2 = CgroupBackend::new(CgroupVersion::V2 { root: root.clone() }, "node");
    assert_eq!(v2.read().await.unwrap()[&ResourceKind::Cpu], UNLIMITED);
    let read = v2
        .apply(&Limits::from([
            (ResourceKind::Cpu, 1500),
            (ResourceKind::Memory, 1_000_000),
        ]))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("node/cpu.max")).unwrap(),
        "150000 100000"
    );
    // Memory is page-aligned before writing, so the kernel's rounding never looks like a mismatch.
    assert_eq!(read[&ResourceKind::Memory], 999_424);

    let (cpu, mem) = (root.join("v1cpu"), root.join("v1mem"));
    std::fs::create_dir_all(cpu.join("n")).unwrap();
    std::fs::create_dir_all(mem.join("n")).unwrap();
    std::fs::write(cpu.join("n/cpu.cfs_quota_us"), "-1").unwrap();
    std::fs::write(cpu.join("n/cpu.cfs_period_us"), "100000").unwrap();
    std::fs::write(mem.join("n/memory.limit_in_bytes"), "9223372036854771712").unwrap();
    let v1 = CgroupBackend::new(
        CgroupVersion::V1 {
            cpu: cpu.clone(),
            memory: mem,
        },
        "n",
    );
    assert_eq!(
        v1.read().await.unwrap(),
        Limits::from([
            (ResourceKind::Cpu, UNLIMITED),
            (ResourceKind::Memory, UNLIMITED)
        ])
    );
    v1.apply(&Limits::from([(ResourceKind::Cpu, 250)]))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(cpu.join("n/cpu.cfs_quota_us")).unwrap(),
        "25000"
    );

    // A cgroup that does not exist is NotFound, never a silent success.
    let gone = CgroupBackend::new(CgroupVersion::V2 { root }, "gone");
    assert!(matches!(
        gone.read().await,
        Err(orcha_enforce::EnforceError::NotFound { .. })
    ));
}
