//! The machine budget: what the operator grants Orcha to divide between nodes.
//!
//! By default all CPU, memory, disk and bandwidth minus a reserve for the desktop
//! (`[allocation]` in the config). Cores, memory and per-disk free space are detected with
//! `sysinfo`; bandwidth cannot be detected reliably, so it is whatever the operator configures.

use orcha_core::config::AllocationConfig;
use orcha_core::ResourceKind;

use crate::policy::Amounts;

/// What the machine has, as detected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Machine {
    pub logical_cores: u64,
    pub memory_bytes: u64,
    /// Free bytes per mounted disk, by mount point.
    pub disks: Vec<(String, u64)>,
}

/// Detects the machine. Blocking (reads /proc and statvfs): call it from a blocking task.
pub fn detect() -> Machine {
    use sysinfo::{Disks, MemoryRefreshKind, RefreshKind, System};
    // A machine whose /proc cannot be read reports no memory; the budget is then empty.
    let memory_bytes = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .map_or(0, |s| s.total_memory());
    let logical_cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let mut disks: Vec<(String, u64)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let list = Disks::new_with_refreshed_list().ok();
    for d in list.iter().flatten() {
        // One device mounted twice (bind mounts, btrfs subvolumes) is one disk.
        if seen.insert(d.name().to_string_lossy().into_owned()) {
            disks.push((d.mount_point().display().to_string(), d.available_space()));
        }
    }
    Machine {
        logical_cores,
        memory_bytes,
        disks,
    }
}

/// The budget Orcha may hand out: the machine minus the reserves, plus configured bandwidth.
/// Bandwidth 0 (not configured) leaves bandwidth out of the budget, so it is never allocated.
pub fn budget(machine: &Machine, cfg: &AllocationConfig) -> Amounts {
    let reserve_cpu = (cfg.reserve_cpu_cores.max(0.0) * 1000.0).round() as u64;
    let reserve_disk = cfg.reserve_disk_gib.saturating_mul(1 << 30);
    let mut b = Amounts::new();
    // An explicit grant replaces what is detected; the reserves apply only to detected amounts.
    b.insert(
        ResourceKind::Cpu,
        if cfg.grant_cpu_cores > 0.0 {
            (cfg.grant_cpu_cores * 1000.0).round() as u64
        } else {
            (machine.logical_cores * 1000).saturating_sub(reserve_cpu)
        },
    );
    b.insert(
        ResourceKind::Memory,
        if cfg.grant_memory_mib > 0 {
            cfg.grant_memory_mib.saturating_mul(1 << 20)
        } else {
            machine
                .memory_bytes
                .saturating_sub(cfg.reserve_memory_mib.saturating_mul(1 << 20))
        },
    );
    b.insert(
        ResourceKind::Disk,
        if cfg.grant_disk_gib > 0 {
            cfg.grant_disk_gib.saturating_mul(1 << 30)
        } else {
            machine
                .disks
                .iter()
                .map(|(_, free)| free.saturating_sub(reserve_disk))
                .sum()
        },
    );
    if cfg.bandwidth_up_mbps > 0 {
        b.insert(
            ResourceKind::Bandwidth,
            cfg.bandwidth_up_mbps.saturating_mul(1_000_000),
        );
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_come_off_and_bandwidth_only_when_configured() {
        let m = Machine {
            logical_cores: 8,
            memory_bytes: 16 << 30,
            disks: vec![("/".into(), 100 << 30), ("/data".into(), 10 << 30)],
        };
        let cfg = AllocationConfig::default();
        let b = budget(&m, &cfg);
        assert_eq!(b[&ResourceKind::Cpu], 7000);
        assert_eq!(b[&ResourceKind::Memory], 14 << 30);
        // 100 GiB - 20 GiB reserve, and the small disk has nothing left after its reserve.
        assert_eq!(b[&ResourceKind::Disk], 80 << 30);
        assert!(!b.contains_key(&ResourceKind::Bandwidth));
        let cfg = AllocationConfig {
            bandwidth_up_mbps: 50,
            reserve_cpu_cores: 100.0,
            ..AllocationConfig::default()
        };
        let b = budget(&m, &cfg);
        assert_eq!(b[&ResourceKind::Bandwidth], 50_000_000);
        assert_eq!(
            b[&ResourceKind::Cpu],
            0,
            "a reserve above the machine leaves nothing, never wraps"
        );
        let cfg = AllocationConfig {
            grant_cpu_cores: 12.5,
            grant_disk_gib: 4000,
            ..AllocationConfig::default()
        };
        let b = budget(&m, &cfg);
        assert_eq!(b[&ResourceKind::Cpu], 12_500, "a grant replaces detection");
        assert_eq!(b[&ResourceKind::Disk], 4000 << 30);
        assert_eq!(b[&ResourceKind::Memory], 14 << 30);
    }

    #[test]
    fn this_machine_is_detected() {
        let m = detect();
        assert!(m.logical_cores >= 1);
        assert!(m.memory_bytes > 0);
    }
}
