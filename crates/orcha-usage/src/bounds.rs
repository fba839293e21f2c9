//! The machine's real limits for a node's knobs, and the space a node's storage path holds.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use orcha_core::{Capability, ResourceKind};

use crate::error::UsageError;

/// What this machine has, read once per call (hardware can be hot-plugged; nothing is cached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineLimits {
    pub logical_cpus: u32,
    pub mem_total_bytes: u64,
}

impl MachineLimits {
    /// Logical CPUs from `/proc/cpuinfo` (every online thread, not this process's affinity) and
    /// `MemTotal` from `/proc/meminfo`.
    pub fn read() -> Result<MachineLimits, UsageError> {
        use procfs::Current;
        let cpus = procfs::CpuInfo::current()
            .map_err(|e| UsageError::read("machine", "/proc/cpuinfo", e))?
            .num_cores();
        let mem = procfs::Meminfo::current()
            .map_err(|e| UsageError::read("machine", "/proc/meminfo", e))?
            .mem_total;
        if cpus == 0 || mem == 0 {
            return Err(UsageError::parse(
                "machine",
                "/proc/cpuinfo, /proc/meminfo",
                "zero CPUs or memory",
            ));
        }
        Ok(MachineLimits {
            logical_cpus: u32::try_from(cpus).unwrap_or(u32::MAX),
            mem_total_bytes: mem,
        })
    }

    pub fn cpu_millicores(&self) -> u64 {
        u64::from(self.logical_cpus) * 1000
    }
}

/// Bytes available to an unprivileged writer on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> Result<u64, UsageError> {
    let s = nix::sys::statvfs::statvfs(path)
        .map_err(|e| UsageError::read("disk", path.display(), e))?;
    // The casts are the platform's widths of the same counters (u64 on 64-bit Linux).
    #[allow(clippy::unnecessary_cast)]
    Ok((s.blocks_available() as u64).saturating_mul(s.fragment_size() as u64))
}

/// The most disk a node at `path` could be given: what is free there plus what it holds now.
pub fn disk_max_bytes(path: &Path, node_holds_bytes: u64) -> Result<u64, UsageError> {
    Ok(free_bytes(path)?.saturating_add(node_holds_bytes))
}

/// The line rate of a network device in bits per second (`/sys/class/net/<dev>/speed`).
/// Virtual devices report -1 or nothing: that is `Unavailable`, never a made-up maximum.
pub fn link_speed_bps(device: &str) -> Result<u64, UsageError> {
    let path = format!("/sys/class/net/{device}/speed");
    let text = std::fs::read_to_string(&path).map_err(|e| UsageError::read("network", &path, e))?;
    match text.trim().parse::<i64>() {
        Ok(mbit) if mbit > 0 => Ok(u64::try_from(mbit).unwrap_or(0).saturating_mul(1_000_000)),
        _ => Err(UsageError::Unavailable {
            target: "network".into(),
            what: format!("the link speed of {device} ({path} says {:?})", text.trim()),
        }),
    }
}

/// Where a bound for `kind` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundInputs<'a> {
    /// The node's storage path (disk), and what the node holds there now.
    pub storage_path: Option<&'a Path>,
    pub node_holds_bytes: u64,
    /// The device the node's traffic leaves by (bandwidth).
    pub device: Option<&'a str>,
}

/// The real maximum of a capability on this machine, in the kind's base unit.
pub fn machine_max(kind: ResourceKind, inputs: BoundInputs<'_>) -> Result<u64, UsageError> {
    match kind {
        ResourceKind::Cpu => Ok(MachineLimits::read()?.cpu_millicores()),
        ResourceKind::Memory => Ok(MachineLimits::read()?.mem_total_bytes),
        ResourceKind::Disk => match inputs.storage_path {
            Some(p) => disk_max_bytes(p, inputs.node_holds_bytes),
            None => Err(UsageError::Unavailable {
                target: "disk".into(),
                what: "a storage path for the node".into(),
            }),
        },
        ResourceKind::Bandwidth => match inputs.device {
            Some(d) => link_speed_bps(d),
            None => Err(UsageError::Unavailable {
                target: "network".into(),
                what: "a network device for the node".into(),
            }),
        },
    }
}

/// `cap` with its `max` lowered to the machine's real maximum (an adapter's placeholder such
/// as `u64::MAX` included) and `min` kept at or below it.
pub fn with_real_max(cap: &Capability, inputs: BoundInputs<'_>) -> Result<Capability, UsageError> {
    let real = machine_max(cap.resource, inputs)?;
    let mut c = cap.clone();
    c.max = c.max.min(real);
    c.min = c.min.min(c.max);
    Ok(c)
}

/// Space used below `path`: allocated blocks of every file, each inode once, not following
/// symlinks or crossing into other filesystems. Stops with `Unavailable` after `max_entries`
/// entries, because a large Storj node holds millions of pieces and walking them every poll
/// would be the biggest load on the machine; such a node reports its own used space.
pub fn used_bytes(path: &Path, max_entries: u64) -> Result<u64, UsageError> {
    let target = "disk";
    let root =
        std::fs::symlink_metadata(path).map_err(|e| UsageError::read(target, path.display(), e))?;
    let dev = root.dev();
    let mut seen_inodes = std::collections::HashSet::new();
    let mut total = root.blocks().saturating_mul(512);
    let mut entries = 0u64;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            // A directory removed mid-walk is simply gone; the root must be readable.
            Err(e) if dir == path => return Err(UsageError::read(target, dir.display(), e)),
            Err(_) => continue,
        };
        for entry in rd.flatten() {
            entries += 1;
            if entries > max_entries {
                return Err(UsageError::Unavailable {
                    target: target.into(),
                    what: format!("a walk of {} under {max_entries} entries", path.display()),
                });
            }
            let Ok(md) = entry.metadata() else { continue };
            if md.dev() != dev {
                continue;
            }
            if md.nlink() > 1 && !md.is_dir() && !seen_inodes.insert(md.ino()) {
                continue;
            }
            total = total.saturating_add(md.blocks().saturating_mul(512));
            if md.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_has_cpus_and_memory() {
        let m = MachineLimits::read().unwrap();
        assert!(m.logical_cpus >= 1);
        assert!(m.mem_total_bytes > 64 * 1024 * 1024);
        assert_eq!(
            machine_max(
                ResourceKind::Cpu,
                BoundInputs {
                    storage_path: None,
                    node_holds_bytes: 0,
                    device: None
                }
            )
            .unwrap(),
            u64::from(m.logical_cpus) * 1000
        );
    }

    #[test]
    fn disk_max_is_free_space_plus_what_the_node_holds() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        let max = disk_max_bytes(dir.path(), 5_000).unwrap();
        // Other engineers write to the same disk meanwhile, so allow it to move a little.
        assert!(
            max.abs_diff(free + 5_000) < 512 * 1024 * 1024,
            "{max} vs {free}"
        );
        assert!(max < u64::MAX / 2);
        let none = BoundInputs {
            storage_path: None,
            node_holds_bytes: 0,
            device: None,
        };
        assert!(machine_max(ResourceKind::Disk, none).is_err());
        assert!(machine_max(ResourceKind::Bandwidth, none).is_err());
        assert!(free_bytes(Path::new("/nonexistent/x")).is_err());
    }

    #[test]
    fn a_placeholder_maximum_becomes_the_machines() {
        let cap = Capability {
            resource: ResourceKind::Memory,
            knob: orcha_core::Knob::Cgroup,
            min: 0,
            max: u64::MAX,
            step: 1,
            restart_required: false,
            restart_cost: orcha_core::RestartCost::default(),
            preconditions: vec![],
        };
        let none = BoundInputs {
            storage_path: None,
            node_holds_bytes: 0,
            device: None,
        };
        let c = with_real_max(&cap, none).unwrap();
        assert_eq!(c.max, MachineLimits::read().unwrap().mem_total_bytes);
    }

    #[test]
    fn loopback_has_no_link_speed() {
        assert!(matches!(
            link_speed_bps("lo"),
            Err(UsageError::Unavailable { .. }) | Err(UsageError::Read { .. })
        ));
        assert!(link_speed_bps("no-such-dev0").is_err());
    }

    #[test]
    fn used_bytes_counts_files_once_and_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a"), vec![1u8; 1 << 20]).unwrap();
        std::fs::hard_link(dir.path().join("sub/a"), dir.path().join("b")).unwrap();
        let used = used_bytes(dir.path(), 1000).unwrap();
        assert!((1 << 20..3 << 20).contains(&used), "{used}");
        assert!(used_bytes(dir.path(), 1).is_err());
        assert!(used_bytes(Path::new("/nonexistent/x"), 10).is_err());
    }
}
