//! CPU and memory limits through cgroups: v2 (`cpu.max`, `memory.max`, `systemctl set-property`
//! for systemd units) and the v1 fallback (`cpu.cfs_quota_us` / `cpu.cfs_period_us`,
//! `memory.limit_in_bytes`). Which one the machine has is detected from its mount table.
//!
//! `io.max` is not written: Orcha allocates disk *space*, and space is the protocol's own knob
//! (Storj allocated disk, Golem profile storage), not a cgroup's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use orcha_core::ResourceKind;

use crate::{check_read_back, run_command, EnforceError, EnforcementBackend, Limits, UNLIMITED};

/// The CFS period Orcha writes: 100 ms, so one millicore is exactly 100 µs of quota.
const PERIOD_US: u64 = 100_000;
/// Memory limits are kept page-aligned so the kernel's rounding does not look like a mismatch.
const PAGE: u64 = 4096;
/// v1 reports "no limit" as a huge page-rounded number (9223372036854771712 on 4 KiB pages).
const V1_UNLIMITED_FLOOR: u64 = 1 << 62;

/// The cgroup hierarchy the machine uses for CPU and memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupVersion {
    /// Unified hierarchy with the cpu and memory controllers, mounted at `root`.
    V2 { root: PathBuf },
    /// Legacy per-controller hierarchies.
    V1 { cpu: PathBuf, memory: PathBuf },
}

impl CgroupVersion {
    /// Detects the hierarchy from `/proc/self/mounts`.
    pub fn detect() -> Result<CgroupVersion, EnforceError> {
        let mounts =
            std::fs::read_to_string("/proc/self/mounts").map_err(|e| EnforceError::Io {
                target: "/proc/self/mounts".to_owned(),
                reason: e.to_string(),
            })?;
        Self::from_mounts(&mounts, |p| std::fs::read_to_string(p).ok())
    }

    /// Picks v2 when a cgroup2 mount offers both cpu and memory, else v1 when both v1
    /// controllers are mounted. `read` reads a file (`cgroup.controllers`); tests pass a fake.
    pub fn from_mounts(
        mounts: &str,
        read: impl Fn(&Path) -> Option<String>,
    ) -> Result<CgroupVersion, EnforceError> {
        let (mut cpu, mut memory) = (None, None);
        for line in mounts.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [_, dir, fstype, opts, ..] = f[..] else {
                continue;
            };
            let dir = PathBuf::from(dir);
            if fstype == "cgroup2" {
                let controllers = read(&dir.join("cgroup.controllers")).unwrap_or_default();
                let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
                if has("cpu") && has("memory") {
                    return Ok(CgroupVersion::V2 { root: dir });
                }
            } else if fstype == "cgroup" {
                let opts: Vec<&str> = opts.split(',').collect();
                if opts.contains(&"cpu") {
                    cpu = Some(dir.clone());
                }
                if opts.contains(&"memory") {
                    memory = Some(dir);
                }
            }
        }
        match (cpu, memory) {
            (Some(cpu), Some(memory)) => Ok(CgroupVersion::V1 { cpu, memory }),
            _ => Err(EnforceError::Unsupported {
                what: "no cgroup hierarchy with the cpu and memory controllers is mounted"
                    .to_owned(),
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            CgroupVersion::V2 { .. } => "cgroup-v2",
            CgroupVersion::V1 { .. } => "cgroup-v1",
        }
    }
}

/// The cgroup of one node: a native process's group, or a systemd unit's.
#[derive(Debug, Clone)]
pub struct CgroupBackend {
    version: CgroupVersion,
    /// Relative to the hierarchy root, e.g. `system.slice/storagenode.service`.
    path: PathBuf,
    /// When set, limits are written with `systemctl set-property` so systemd keeps them.
    unit: Option<String>,
    timeout: Duration,
}

impl CgroupBackend {
    pub fn new(version: CgroupVersion, path: &str) -> Self {
        CgroupBackend {
            version,
            path: PathBuf::from(path.trim_start_matches('/')),
            unit: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// A systemd unit; its cgroup is `system.slice/<unit>` unless `path` says otherwise.
    pub fn for_unit(version: CgroupVersion, unit: &str, path: Option<&str>) -> Self {
        let default = format!("system.slice/{unit}");
        let mut b = CgroupBackend::new(version, path.unwrap_or(&default));
        b.unit = Some(unit.to_owned());
        b.timeout = Duration::from_secs(30);
        b
    }

    fn dir(&self, kind: ResourceKind) -> PathBuf {
        match &self.version {
            CgroupVersion::V2 { root } => root.join(&self.path),
            CgroupVersion::V1 { cpu, memory } => match kind {
                ResourceKind::Memory => memory.join(&self.path),
                _ => cpu.join(&self.path),
            },
        }
    }

    fn target(&self) -> String {
        self.unit
            .clone()
            .unwrap_or_else(|| format!("cgroup {}", self.path.display()))
    }

    async fn read_file(&self, kind: ResourceKind, file: &str) -> Result<String, EnforceError> {
        let path = self.dir(kind).join(file);
        match tokio::time::timeout(self.timeout, tokio::fs::read_to_string(&path)).await {
            Err(_) => Err(EnforceError::Timeout {
                what: path.display().to_string(),
                after: self.timeout,
            }),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(EnforceError::NotFound {
                what: path.display().to_string(),
            }),
            Ok(Err(e)) => Err(EnforceError::Io {
                target: path.display().to_string(),
                reason: e.to_string(),
            }),
            Ok(Ok(s)) => Ok(s.trim().to_owned()),
        }
    }

    async fn write_file(
        &self,
        kind: ResourceKind,
        file: &str,
        value: &str,
    ) -> Result<(), EnforceError> {
        let path = self.dir(kind).join(file);
        match tokio::time::timeout(self.timeout, tokio::fs::write(&path, value)).await {
            Err(_) => Err(EnforceError::Timeout {
                what: path.display().to_string(),
                after: self.timeout,
            }),
            Ok(Err(e)) => Err(EnforceError::Io {
                target: path.display().to_string(),
                reason: format!("writing {value:?}: {e}"),
            }),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn read_cpu(&self) -> Result<u64, EnforceError> {
        let bad = |what: &str, text: &str| EnforceError::Io {
            target: self.target(),
            reason: format!("cannot read {what} {text:?}"),
        };
        match &self.version {
            CgroupVersion::V2 { .. } => {
                let text = self.read_file(ResourceKind::Cpu, "cpu.max").await?;
                let mut it = text.split_whitespace();
                let quota = it.next().unwrap_or("");
                let period: u64 = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| bad("cpu.max", &text))?;
                if quota == "max" {
                    return Ok(UNLIMITED);
                }
                let quota: u64 = quota.parse().map_err(|_| bad("cpu.max", &text))?;
                Ok(quota * 1000 / period.max(1))
            }
            CgroupVersion::V1 { .. } => {
                let q = self
                    .read_file(ResourceKind::Cpu, "cpu.cfs_quota_us")
                    .await?;
                let p = self
                    .read_file(ResourceKind::Cpu, "cpu.cfs_period_us")
                    .await?;
                let quota: i64 = q.parse().map_err(|_| bad("cpu.cfs_quota_us", &q))?;
                let period: u64 = p.parse().map_err(|_| bad("cpu.cfs_period_us", &p))?;
                if quota < 0 {
                    return Ok(UNLIMITED);
                }
                Ok(quota.unsigned_abs() * 1000 / period.max(1))
            }
        }
    }

    async fn read_memory(&self) -> Result<u64, EnforceError> {
        let file = match self.version {
            CgroupVersion::V2 { .. } => "memory.max",
            CgroupVersion::V1 { .. } => "memory.limit_in_bytes",
        };
        let text = self.read_file(ResourceKind::Memory, file).await?;
        if text == "max" {
            return Ok(UNLIMITED);
        }
        let v: u64 = text.parse().map_err(|_| EnforceError::Io {
            target: self.target(),
            reason: format!("cannot read {file} {text:?}"),
        })?;
        Ok(if v >= V1_UNLIMITED_FLOOR {
            UNLIMITED
        } else {
            v
        })
    }

    async fn write_cpu(&self, millicores: u64) -> Result<(), EnforceError> {
        match &self.version {
            CgroupVersion::V2 { .. } => {
                let quota = if millicores == UNLIMITED {
                    "max".to_owned()
                } else {
                    (millicores * (PERIOD_US / 1000)).to_string()
                };
                self.write_file(
                    ResourceKind::Cpu,
                    "cpu.max",
                    &format!("{quota} {PERIOD_US}"),
                )
                .await
            }
            CgroupVersion::V1 { .. } => {
                // Lift the quota before changing the period so the pair is never invalid.
                self.write_file(ResourceKind::Cpu, "cpu.cfs_quota_us", "-1")
                    .await?;
                self.write_file(
                    ResourceKind::Cpu,
                    "cpu.cfs_period_us",
                    &PERIOD_US.to_string(),
                )
                .await?;
                if millicores != UNLIMITED {
                    let quota = (millicores * (PERIOD_US / 1000)).to_string();
                    self.write_file(ResourceKind::Cpu, "cpu.cfs_quota_us", &quota)
                        .await?;
                }
                Ok(())
            }
        }
    }

    async fn write_memory(&self, bytes: u64) -> Result<(), EnforceError> {
        let (file, unlimited) = match self.version {
            CgroupVersion::V2 { .. } => ("memory.max", "max"),
            CgroupVersion::V1 { .. } => ("memory.limit_in_bytes", "-1"),
        };
        let value = if bytes == UNLIMITED {
            unlimited.to_owned()
        } else {
            bytes.to_string()
        };
        self.write_file(ResourceKind::Memory, file, &value).await
    }

    /// `systemctl set-property --runtime` keeps the limits where systemd would otherwise reset
    /// them on its next reload of the unit.
    async fn set_property(&self, unit: &str, limits: &Limits) -> Result<(), EnforceError> {
        let mut props = Vec::new();
        if let Some(&m) = limits.get(&ResourceKind::Cpu) {
            props.push(if m == UNLIMITED {
                "CPUQuota=".to_owned()
            } else {
                // CPUQuota is a percentage of one CPU; 10 millicores = 1 %.
                format!("CPUQuota={}%", m / 10)
            });
        }
        if let Some(&b) = limits.get(&ResourceKind::Memory) {
            props.push(if b == UNLIMITED {
                "MemoryMax=infinity".to_owned()
            } else {
                format!("MemoryMax={b}")
            });
        }
        let mut args = vec!["set-property", "--runtime", unit];
        args.extend(props.iter().map(String::as_str));
        run_command("systemctl", &args, self.timeout)
            .await
            .map(drop)
    }
}

/// What a write of `limits` will read back as: CPU in whole 10-millicore steps for systemd
/// (CPUQuota is whole percent), memory page-aligned.
fn normalised(limits: &Limits, systemd: bool) -> Limits {
    limits
        .iter()
        .filter(|(k, _)| matches!(k, ResourceKind::Cpu | ResourceKind::Memory))
        .map(|(k, &v)| {
            let v = match k {
                _ if v == UNLIMITED => v,
                ResourceKind::Cpu if systemd => (v / 10 * 10).max(10),
                ResourceKind::Cpu => v.max(10),
                _ => (v / PAGE * PAGE).max(PAGE),
            };
            (*k, v)
        })
        .collect()
}

#[async_trait]
impl EnforcementBackend for CgroupBackend {
    fn name(&self) -> &'static str {
        if self.unit.is_some() {
            "systemd"
        } else {
            self.version.name()
        }
    }

    fn resources(&self) -> Vec<ResourceKind> {
        vec![ResourceKind::Cpu, ResourceKind::Memory]
    }

    async fn read(&self) -> Result<Limits, EnforceError> {
        let mut out = Limits::new();
        out.insert(ResourceKind::Cpu, self.read_cpu().await?);
        out.insert(ResourceKind::Memory, self.read_memory().await?);
        Ok(out)
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let wanted = normalised(limits, self.unit.is_some());
        if let Some(unit) = &self.unit {
            self.set_property(unit, &wanted).await?;
        } else {
            if let Some(&m) = wanted.get(&ResourceKind::Cpu) {
                self.write_cpu(m).await?;
            }
            if let Some(&b) = wanted.get(&ResourceKind::Memory) {
                self.write_memory(b).await?;
            }
        }
        let read = self.read().await?;
        check_read_back(&self.target(), &wanted, &read)?;
        Ok(read)
    }

    async fn restart(&self) -> Result<(), EnforceError> {
        let Some(unit) = &self.unit else {
            return Err(EnforceError::Unsupported {
                what: format!(
                    "{}: a native process is restarted by its operator",
                    self.target()
                ),
            });
        };
        // Storj stops gracefully within 300 s; allow for that and the start.
        run_command("systemctl", &["restart", unit], Duration::from_secs(330)).await?;
        run_command("systemctl", &["is-active", "--quiet", unit], self.timeout)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_v2_only_with_cpu_and_memory() {
        let mounts = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n";
        let v = CgroupVersion::from_mounts(mounts, |_| Some("cpuset cpu io memory pids".into()));
        assert_eq!(
            v.unwrap(),
            CgroupVersion::V2 {
                root: "/sys/fs/cgroup".into()
            }
        );
        let hybrid = "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
        let v = CgroupVersion::from_mounts(hybrid, |_| Some("hugetlb".into())).unwrap();
        assert_eq!(v.name(), "cgroup-v1");
        assert!(CgroupVersion::from_mounts("proc /proc proc rw 0 0\n", |_| None).is_err());
    }
}
