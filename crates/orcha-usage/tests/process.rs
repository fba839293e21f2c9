//! Measuring a real process and a real cgroup: CPU from counter deltas, memory held.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{check_one_core, reference_millicores, Burner, ALLOC_BYTES, WRITE_BYTES};
use orcha_usage::cgroup::Hierarchy;
use orcha_usage::{MeterSpec, NodeMeter, ProcessSelector, Source, UsageTarget};

/// Samples twice 2 s apart, bracketed by the child's own CPU clock.
/// The burners of two tests at once would compete for the two cores of a small machine.
static ONE_BURNER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn measure(meter: &mut NodeMeter, burner: &mut Burner) -> (f64, f64, u64) {
    let t0 = Instant::now();
    let first = meter.sample(t0).await.expect("first sample");
    assert_eq!(first.cpu_millicores, None, "no rate from one reading");
    let a = burner.cpu_ns();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let b = burner.cpu_ns();
    let r = meter.sample(Instant::now()).await.expect("second sample");
    let cpu = r.cpu_millicores.expect("cpu measured").value as f64;
    let mem = r.mem_bytes.expect("memory measured").value;
    (cpu, reference_millicores(a, b), mem)
}

#[tokio::test]
async fn a_busy_process_uses_one_core_and_its_memory() {
    let _one = ONE_BURNER.lock().await;
    let mut burner = Burner::start();
    burner.go();
    let mut meter = NodeMeter::new(MeterSpec::new(UsageTarget::Process(ProcessSelector::Pid(
        burner.pid(),
    ))));
    let (cpu, reference, mem) = measure(&mut meter, &mut burner).await;
    check_one_core("process", cpu, reference);
    eprintln!("process: {mem} bytes resident");
    assert!(mem >= ALLOC_BYTES, "{mem} < {ALLOC_BYTES}");
}

#[tokio::test]
async fn disk_writes_and_used_space_are_measured() {
    let _one = ONE_BURNER.lock().await;
    // In the worktree, not /tmp: the writes must reach a block device to be counted.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let mut burner = Burner::start();
    let mut spec = MeterSpec::new(UsageTarget::Process(ProcessSelector::Pid(burner.pid())));
    spec.storage_path = Some(dir.path().to_path_buf());
    spec.disk_walk_every = Duration::ZERO;
    let mut meter = NodeMeter::new(spec);
    let t0 = Instant::now();
    let r = meter.sample(t0).await.expect("first");
    let before = r.disk_bytes.expect("used space").value;
    burner.write(&dir.path().join("piece"));
    let r = meter
        .sample(t0 + Duration::from_secs(4))
        .await
        .expect("second");
    let w = r.disk_write_bytes_per_s.expect("writes measured");
    let used = r.disk_bytes.expect("used space");
    eprintln!(
        "disk: {} bytes/s written over 4 s, {} bytes used (was {before})",
        w.value, used.value
    );
    assert_eq!(
        (w.source, used.source),
        (Source::Process, Source::Filesystem)
    );
    assert!(w.value * 4 >= WRITE_BYTES, "{} bytes/s", w.value);
    assert!(
        used.value >= before + WRITE_BYTES,
        "{} < {before} + {WRITE_BYTES}",
        used.value
    );
}

#[tokio::test]
async fn a_process_found_by_pid_file_is_measured_with_its_children() {
    let _one = ONE_BURNER.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("node.pid");
    let mut burner = Burner::start();
    burner.go();
    let parent = procfs::process::Process::new(burner.pid() as i32)
        .and_then(|p| p.stat())
        .expect("burner stat")
        .ppid;
    // `nice` execs python, so the burner's parent is this test process: with the test's pid in
    // the file, the burner is one of the node's descendants and must be counted with it.
    assert_eq!(parent, std::process::id() as i32);
    std::fs::write(&pid_file, format!("{parent}\n")).expect("write pid file");
    let mut meter = NodeMeter::new(MeterSpec::new(UsageTarget::Process(
        ProcessSelector::PidFile(pid_file),
    )));
    let r = meter.sample(Instant::now()).await.expect("sample");
    assert!(r.pids.contains(&(burner.pid() as i32)), "{:?}", r.pids);
    assert!(r
        .mem_bytes
        .is_some_and(|m| m.value >= ALLOC_BYTES && m.source == Source::Process));
}

/// A cgroup created for the test in the cpu-accounting and memory hierarchies, removed after.
struct TestCgroup {
    dirs: Vec<PathBuf>,
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        for d in &self.dirs {
            // Retried: the killed child leaves the group a moment after `wait`.
            for _ in 0..50 {
                if std::fs::remove_dir(d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

#[tokio::test]
async fn a_process_in_a_cgroup_is_measured_through_the_cgroup() {
    let _one = ONE_BURNER.lock().await;
    let h = Hierarchy::detect().expect("a cgroup hierarchy");
    let rel = format!("orcha-usage-test-{}", std::process::id());
    // The group is declared first so that it is dropped last, after the burner has left it.
    let mut group = TestCgroup { dirs: vec![] };
    let roots = match &h {
        Hierarchy::V2 { root } => vec![root.clone()],
        Hierarchy::V1 {
            cpuacct, memory, ..
        } => vec![cpuacct.clone(), memory.clone()],
    };
    for root in roots {
        let d = root.join(&rel);
        std::fs::create_dir(&d).expect("create the test group");
        group.dirs.push(d);
    }
    let mut burner = Burner::start();
    for d in &group.dirs {
        std::fs::write(d.join("cgroup.procs"), burner.pid().to_string()).expect("move");
    }
    // Allocate only after the move, so the memory is charged to the new group.
    burner.go();
    let mut meter = NodeMeter::new(MeterSpec::new(UsageTarget::Cgroup(rel.clone())));
    let (cpu, reference, mem) = measure(&mut meter, &mut burner).await;
    check_one_core(h.name(), cpu, reference);
    eprintln!("{}: {mem} bytes in the group", h.name());
    assert!(mem >= ALLOC_BYTES, "{mem} < {ALLOC_BYTES}");
    let r = meter.sample(Instant::now()).await.expect("third sample");
    assert_eq!(r.mem_bytes.map(|m| m.source), Some(Source::Cgroup));
    assert_eq!(r.pids, vec![burner.pid() as i32]);
    drop(burner);
    drop(group);
    let gone = NodeMeter::new(MeterSpec::new(UsageTarget::Cgroup(rel)))
        .sample(Instant::now())
        .await;
    assert!(gone.is_err(), "the test group was removed");
}
