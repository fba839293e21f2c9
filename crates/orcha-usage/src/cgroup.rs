//! Counters of a cgroup (v1 or v2): CPU time, working-set memory, block I/O and member pids.

use std::path::{Path, PathBuf};

use crate::error::UsageError;

/// The cgroup hierarchy of the machine, as mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// The unified hierarchy with the cpu and memory controllers (`/sys/fs/cgroup`).
    V2 { root: PathBuf },
    /// One mount per controller; `blkio` may be missing.
    V1 {
        cpuacct: PathBuf,
        memory: PathBuf,
        blkio: Option<PathBuf>,
    },
}

/// Cumulative counters of a cgroup at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupCounters {
    pub cpu_ns: u64,
    /// `memory.current` (v2) or `memory.usage_in_bytes` (v1) less inactive file cache.
    pub mem_bytes: u64,
    pub io_read_bytes: Option<u64>,
    pub io_write_bytes: Option<u64>,
    /// The processes in the group (to find its network namespace).
    pub pids: Vec<i32>,
}

impl Hierarchy {
    /// Reads `/proc/self/mounts`.
    pub fn detect() -> Result<Hierarchy, UsageError> {
        let mounts = std::fs::read_to_string("/proc/self/mounts")
            .map_err(|e| UsageError::read("cgroup", "/proc/self/mounts", e))?;
        Hierarchy::from_mounts(&mounts, |p| std::fs::read_to_string(p).ok())
    }

    /// Picks v2 when a cgroup2 mount offers cpu and memory, else v1 when cpuacct and memory
    /// are mounted (a hybrid machine's empty `unified` mount is skipped). `read` reads
    /// `cgroup.controllers`; tests pass a fake.
    pub fn from_mounts(
        mounts: &str,
        read: impl Fn(&Path) -> Option<String>,
    ) -> Result<Hierarchy, UsageError> {
        let (mut cpuacct, mut memory, mut blkio) = (None, None, None);
        for line in mounts.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(dir), Some(fstype), Some(opts)) = (f.get(1), f.get(2), f.get(3)) else {
                continue;
            };
            let dir = PathBuf::from(dir);
            if *fstype == "cgroup2" {
                let ctl = read(&dir.join("cgroup.controllers")).unwrap_or_default();
                let ctl: Vec<&str> = ctl.split_whitespace().collect();
                if ctl.contains(&"cpu") && ctl.contains(&"memory") {
                    return Ok(Hierarchy::V2 { root: dir });
                }
            } else if *fstype == "cgroup" {
                let opts: Vec<&str> = opts.split(',').collect();
                if opts.contains(&"cpuacct") {
                    cpuacct = Some(dir.clone());
                }
                if opts.contains(&"memory") {
                    memory = Some(dir.clone());
                }
                if opts.contains(&"blkio") {
                    blkio = Some(dir);
                }
            }
        }
        match (cpuacct, memory) {
            (Some(cpuacct), Some(memory)) => Ok(Hierarchy::V1 {
                cpuacct,
                memory,
                blkio,
            }),
            _ => Err(UsageError::Unavailable {
                target: "cgroup".into(),
                what: "a cgroup hierarchy with cpu accounting and memory".into(),
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Hierarchy::V2 { .. } => "cgroup-v2",
            Hierarchy::V1 { .. } => "cgroup-v1",
        }
    }

    /// The relative path of a systemd unit's group (`system.slice/<unit>.service`).
    pub fn unit_path(unit: &str) -> String {
        if unit.contains('.') {
            format!("system.slice/{unit}")
        } else {
            format!("system.slice/{unit}.service")
        }
    }

    /// Reads the counters of the group at `rel` (relative to each controller's root).
    pub fn counters(&self, rel: &str, target: &str) -> Result<CgroupCounters, UsageError> {
        let rel = rel.trim_start_matches('/');
        match self {
            Hierarchy::V2 { root } => {
                let dir = root.join(rel);
                let cpu_stat = read(&dir.join("cpu.stat"), target)?;
                let usec = keyed(&cpu_stat, "usage_usec").ok_or_else(|| {
                    UsageError::parse(target, dir.join("cpu.stat").display(), "no usage_usec")
                })?;
                let current = number(&dir.join("memory.current"), target)?;
                let stat = read(&dir.join("memory.stat"), target)?;
                let inactive = keyed(&stat, "inactive_file").unwrap_or(0);
                let (r, w) = match std::fs::read_to_string(dir.join("io.stat")) {
                    Ok(t) => {
                        let (r, w) = io_stat_v2(&t);
                        (Some(r), Some(w))
                    }
                    Err(_) => (None, None),
                };
                Ok(CgroupCounters {
                    cpu_ns: usec.saturating_mul(1000),
                    mem_bytes: current.saturating_sub(inactive),
                    io_read_bytes: r,
                    io_write_bytes: w,
                    pids: pids(&dir, target)?,
                })
            }
            Hierarchy::V1 {
                cpuacct,
                memory,
                blkio,
            } => {
                let cpu_ns = number(&cpuacct.join(rel).join("cpuacct.usage"), target)?;
                let mdir = memory.join(rel);
                let usage = number(&mdir.join("memory.usage_in_bytes"), target)?;
                let stat = read(&mdir.join("memory.stat"), target)?;
                let inactive = keyed(&stat, "total_inactive_file").unwrap_or(0);
                let (r, w) = match blkio.as_ref().map(|b| {
                    std::fs::read_to_string(b.join(rel).join("blkio.throttle.io_service_bytes"))
                }) {
                    Some(Ok(t)) => {
                        let (r, w) = io_service_bytes_v1(&t);
                        (Some(r), Some(w))
                    }
                    _ => (None, None),
                };
                Ok(CgroupCounters {
                    cpu_ns,
                    // Page cache the node's reads leave behind is reclaimable; counting it would
                    // make every storage node look out of memory (`docker stats` and the kubelet
                    // subtract it too).
                    mem_bytes: usage.saturating_sub(inactive),
                    io_read_bytes: r,
                    io_write_bytes: w,
                    pids: pids(&mdir, target)?,
                })
            }
        }
    }
}

fn read(path: &Path, target: &str) -> Result<String, UsageError> {
    std::fs::read_to_string(path).map_err(|e| UsageError::read(target, path.display(), e))
}

fn number(path: &Path, target: &str) -> Result<u64, UsageError> {
    read(path, target)?
        .trim()
        .parse()
        .map_err(|e| UsageError::parse(target, path.display(), e))
}

fn pids(dir: &Path, target: &str) -> Result<Vec<i32>, UsageError> {
    Ok(read(&dir.join("cgroup.procs"), target)?
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect())
}

/// The value of `key` in a `key value` file (`cpu.stat`, `memory.stat`).
pub fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key))
            .then(|| it.next().and_then(|v| v.parse().ok()))
            .flatten()
    })
}

/// Sums `rbytes=`/`wbytes=` of every device line of a v2 `io.stat`.
pub fn io_stat_v2(text: &str) -> (u64, u64) {
    let (mut r, mut w) = (0u64, 0u64);
    for field in text.split_whitespace() {
        if let Some(v) = field
            .strip_prefix("rbytes=")
            .and_then(|v| v.parse::<u64>().ok())
        {
            r = r.saturating_add(v);
        } else if let Some(v) = field
            .strip_prefix("wbytes=")
            .and_then(|v| v.parse::<u64>().ok())
        {
            w = w.saturating_add(v);
        }
    }
    (r, w)
}

/// Sums the `Read` and `Write` lines of a v1 `blkio.throttle.io_service_bytes`.
pub fn io_service_bytes_v1(text: &str) -> (u64, u64) {
    let (mut r, mut w) = (0u64, 0u64);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let [_dev, op, v] = f.as_slice() {
            let v: u64 = v.parse().unwrap_or(0);
            match *op {
                "Read" => r = r.saturating_add(v),
                "Write" => w = w.saturating_add(v),
                _ => {}
            }
        }
    }
    (r, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_is_v2_only_with_controllers_and_v1_otherwise() {
        let v2 = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n";
        let h = Hierarchy::from_mounts(v2, |_| Some("cpuset cpu io memory pids".into())).unwrap();
        assert_eq!(
            h,
            Hierarchy::V2 {
                root: "/sys/fs/cgroup".into()
            }
        );
        let hybrid = "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n\
                      cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n\
                      cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
        let h = Hierarchy::from_mounts(hybrid, |_| Some(String::new())).unwrap();
        assert_eq!(h.name(), "cgroup-v1");
        assert!(matches!(h, Hierarchy::V1 { blkio: None, .. }));
        assert!(Hierarchy::from_mounts("proc /proc proc rw 0 0\ngarbage\n", |_| None).is_err());
    }

    #[test]
    fn stat_files_are_parsed_and_odd_lines_skipped() {
        assert_eq!(
            keyed("usage_usec 123\nuser_usec 1\n", "usage_usec"),
            Some(123)
        );
        assert_eq!(keyed("usage_usec x\n", "usage_usec"), None);
        assert_eq!(
            io_stat_v2("8:0 rbytes=100 wbytes=20 rios=1\n259:0 rbytes=1 wbytes=2 dbytes=9\n"),
            (101, 22)
        );
        let v1 = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 1\n8:0 Total 12288\n8:16 Read 1\nTotal 12289\nodd\n";
        assert_eq!(io_service_bytes_v1(v1), (4097, 8192));
        assert_eq!(
            Hierarchy::unit_path("storagenode"),
            "system.slice/storagenode.service"
        );
    }

    #[test]
    fn a_v2_group_is_read_from_its_files() {
        // This machine runs v1, so the v2 reader is checked on a tree laid out like the kernel's.
        let root = tempfile::tempdir().unwrap();
        let g = root.path().join("system.slice/yagna.service");
        std::fs::create_dir_all(&g).unwrap();
        for (f, text) in [
            (
                "cpu.stat",
                "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
            ),
            ("memory.current", "1000000\n"),
            (
                "memory.stat",
                "anon 900000\nfile 100000\ninactive_file 40000\n",
            ),
            ("io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=1\n"),
            ("cgroup.procs", "42\n43\n"),
        ] {
            std::fs::write(g.join(f), text).unwrap();
        }
        let h = Hierarchy::V2 {
            root: root.path().into(),
        };
        let c = h
            .counters(&Hierarchy::unit_path("yagna"), "unit yagna")
            .unwrap();
        assert_eq!(
            c,
            CgroupCounters {
                cpu_ns: 2_500_000,
                mem_bytes: 960_000,
                io_read_bytes: Some(10),
                io_write_bytes: Some(20),
                pids: vec![42, 43],
            }
        );
        std::fs::write(g.join("memory.current"), "lots\n").unwrap();
        let e = h
            .counters("system.slice/yagna.service", "unit yagna")
            .unwrap_err();
        assert!(
            matches!(e, UsageError::Parse { .. }) && e.to_string().contains("memory.current"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_group_names_the_file() {
        let h = Hierarchy::V1 {
            cpuacct: "/nonexistent/cpuacct".into(),
            memory: "/nonexistent/memory".into(),
            blkio: None,
        };
        let e = h.counters("/orcha/x", "cgroup /orcha/x").unwrap_err();
        assert!(
            e.to_string()
                .contains("/nonexistent/cpuacct/orcha/x/cpuacct.usage"),
            "{e}"
        );
    }
}
