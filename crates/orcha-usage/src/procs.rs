//! A node's processes from /proc: which pids are its, and the counters of their whole tree.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use procfs::process::Process;

use crate::error::UsageError;
use crate::target::{NameMatch, ProcessSelector};

/// The network counters of an interface set, in bytes since the interfaces appeared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetBytes {
    /// Received by the node (its download).
    pub rx: u64,
    /// Sent by the node (its upload).
    pub tx: u64,
}

/// Cumulative counters of a process tree at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeCounters {
    /// The matched roots with their start times (in ticks since boot), to notice restarts.
    pub roots: Vec<(i32, u64)>,
    /// Every pid counted: the roots and their live descendants.
    pub pids: Vec<i32>,
    /// CPU time of the tree, in nanoseconds, including children it has already reaped.
    pub cpu_ns: u64,
    /// Resident memory summed over the tree.
    pub rss_bytes: u64,
    /// Bytes the tree made the block layer read and write (`/proc/<pid>/io`).
    pub io_read_bytes: Option<u64>,
    pub io_write_bytes: Option<u64>,
}

/// The pids a selector names right now, sorted. An empty answer is `NoProcess`.
pub fn find_roots(selector: &ProcessSelector, target: &str) -> Result<Vec<i32>, UsageError> {
    let pids = match selector {
        ProcessSelector::Pid(p) => {
            let pid = i32::try_from(*p).map_err(|e| UsageError::parse(target, "pid", e))?;
            if Path::new(&format!("/proc/{pid}")).exists() {
                vec![pid]
            } else {
                vec![]
            }
        }
        ProcessSelector::PidFile(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError::read(target, path.display(), e))?;
            let pid: i32 = text
                .trim()
                .parse()
                .map_err(|e| UsageError::parse(target, path.display(), e))?;
            if pid > 0 && Path::new(&format!("/proc/{pid}")).exists() {
                vec![pid]
            } else {
                vec![]
            }
        }
        ProcessSelector::Names(names) => pids_named(names)
            .map_err(|e| UsageError::read(target, "/proc", e))?
            .into_iter()
            .collect(),
    };
    if pids.is_empty() {
        return Err(UsageError::NoProcess {
            target: target.to_owned(),
            detail: "nothing matches in /proc".into(),
        });
    }
    Ok(pids)
}

/// Every pid whose name matches one of `names`; processes that vanish mid-scan are skipped.
pub fn pids_named(names: &[NameMatch]) -> procfs::ProcResult<BTreeSet<i32>> {
    let mut found = BTreeSet::new();
    for p in procfs::process::all_processes()?.flatten() {
        let Ok(stat) = p.stat() else { continue };
        let cmdline = p.cmdline().unwrap_or_default();
        let exe = p.exe().ok();
        let exe_name = exe
            .as_ref()
            .and_then(|e| e.file_name())
            .and_then(|n| n.to_str());
        if names
            .iter()
            .any(|n| n.matches(&stat.comm, exe_name, &cmdline))
        {
            found.insert(p.pid);
        }
    }
    // A matching child of a matching process (ya-provider under yagna) is counted once, as
    // part of its parent's tree.
    let parents = parent_map()?;
    let roots = found
        .iter()
        .copied()
        .filter(|pid| !has_ancestor_in(*pid, &found, &parents))
        .collect();
    Ok(roots)
}

fn parent_map() -> procfs::ProcResult<HashMap<i32, i32>> {
    Ok(procfs::process::all_processes()?
        .flatten()
        .filter_map(|p| p.stat().ok().map(|s| (s.pid, s.ppid)))
        .collect())
}

fn has_ancestor_in(pid: i32, set: &BTreeSet<i32>, parents: &HashMap<i32, i32>) -> bool {
    let mut cur = pid;
    // Bounded walk: a pid table changing under us must not loop forever.
    for _ in 0..4096 {
        match parents.get(&cur) {
            Some(&pp) if pp > 0 && pp != cur => {
                if set.contains(&pp) {
                    return true;
                }
                cur = pp;
            }
            _ => return false,
        }
    }
    false
}

/// The roots and all their live descendants.
pub fn tree_of(roots: &[i32]) -> procfs::ProcResult<Vec<i32>> {
    let parents = parent_map()?;
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (pid, ppid) in &parents {
        children.entry(*ppid).or_default().push(*pid);
    }
    let mut seen = BTreeSet::new();
    let mut stack: Vec<i32> = roots.to_vec();
    while let Some(pid) = stack.pop() {
        if seen.insert(pid) {
            if let Some(kids) = children.get(&pid) {
                stack.extend(kids.iter().copied());
            }
        }
    }
    Ok(seen.into_iter().collect())
}

/// Reads the counters of the roots' trees. A process that exits mid-read is left out; a root
/// that is gone is `NoProcess`.
pub fn tree_counters(roots: &[i32], target: &str) -> Result<TreeCounters, UsageError> {
    let tps = procfs::ticks_per_second().max(1);
    let page = procfs::page_size();
    let pids = tree_of(roots).map_err(|e| UsageError::read(target, "/proc", e))?;
    let mut c = TreeCounters::default();
    let mut io_read = Some(0u64);
    let mut io_write = Some(0u64);
    for &pid in &pids {
        let Ok(proc_) = Process::new(pid) else {
            continue;
        };
        let Ok(stat) = proc_.stat() else { continue };
        if roots.contains(&pid) {
            c.roots.push((pid, stat.starttime));
        }
        c.pids.push(pid);
        // cutime/cstime hold the time of children already reaped, so a short-lived worker's
        // CPU is not lost when it exits between two polls. Negative values are kernel noise.
        let ticks = stat
            .utime
            .saturating_add(stat.stime)
            .saturating_add(u64::try_from(stat.cutime).unwrap_or(0))
            .saturating_add(u64::try_from(stat.cstime).unwrap_or(0));
        c.cpu_ns = c
            .cpu_ns
            .saturating_add(ticks.saturating_mul(1_000_000_000) / tps);
        c.rss_bytes = c.rss_bytes.saturating_add(stat.rss.saturating_mul(page));
        // /proc/<pid>/io needs ptrace rights; without them disk I/O is unmeasured, not zero.
        match proc_.io() {
            Ok(io) => {
                io_read = io_read.map(|v| v.saturating_add(io.read_bytes));
                io_write = io_write.map(|v| v.saturating_add(io.write_bytes));
            }
            Err(_) => {
                io_read = None;
                io_write = None;
            }
        }
    }
    if c.roots.is_empty() {
        return Err(UsageError::NoProcess {
            target: target.to_owned(),
            detail: format!("pids {roots:?} exited"),
        });
    }
    c.io_read_bytes = io_read;
    c.io_write_bytes = io_write;
    Ok(c)
}

/// The interface counters of `pid`'s network namespace when it is not ours, without `lo`
/// (traffic a node sends itself is not bandwidth).
pub fn own_namespace_net(pid: i32, target: &str) -> Result<Option<NetBytes>, UsageError> {
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net"));
    let ours = std::fs::read_link("/proc/self/ns/net");
    match (theirs, ours) {
        (Ok(t), Ok(o)) if t != o => {}
        // Same namespace, or the links are unreadable: nothing attributable to the node.
        _ => return Ok(None),
    }
    let path = format!("/proc/{pid}/net/dev");
    let text = std::fs::read_to_string(&path).map_err(|e| UsageError::read(target, &path, e))?;
    parse_net_dev(&text)
        .map(Some)
        .map_err(|e| UsageError::parse(target, &path, e))
}

/// Sums `/proc/net/dev` receive and transmit bytes over every interface but `lo`.
pub fn parse_net_dev(text: &str) -> Result<NetBytes, String> {
    let mut sum = NetBytes::default();
    let mut rows = 0;
    // Two header lines, then `  name: rx_bytes rx_packets … tx_bytes(9th field) …`.
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            return Err(format!("line without `:`: {line:?}"));
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(rx), Some(tx)) = (fields.first(), fields.get(8)) else {
            return Err(format!("short line: {line:?}"));
        };
        let rx: u64 = rx.parse().map_err(|e| format!("{line:?}: {e}"))?;
        let tx: u64 = tx.parse().map_err(|e| format!("{line:?}: {e}"))?;
        rows += 1;
        if name.trim() != "lo" {
            sum.rx = sum.rx.saturating_add(rx);
            sum.tx = sum.tx.saturating_add(tx);
        }
    }
    if rows == 0 {
        return Err("no interfaces".into());
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_sums_all_but_loopback_and_refuses_odd_lines() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:  500 5 0 0 0 0 0 0  500 5 0 0 0 0 0 0\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n veth1: 1 1 0 0 0 0 0 0 2 1 0 0 0 0 0 0\n";
        assert_eq!(parse_net_dev(text), Ok(NetBytes { rx: 1001, tx: 2002 }));
        assert!(parse_net_dev("a\nb\n eth0: 1 2 3\n").is_err());
        assert!(parse_net_dev("a\nb\n eth0 1 2 3\n").is_err());
        assert!(parse_net_dev("a\nb\n").is_err());
        assert!(parse_net_dev("a\nb\n eth0: x 0 0 0 0 0 0 0 1 0\n").is_err());
    }

    #[test]
    fn our_own_process_is_found_by_pid_and_has_memory() {
        let me = std::process::id();
        let roots = find_roots(&ProcessSelector::Pid(me), "self").unwrap();
        let c = tree_counters(&roots, "self").unwrap();
        assert!(c.rss_bytes > 0);
        assert!(c.pids.contains(&(me as i32)));
        // The test runs in the host's namespace, so no traffic is attributed to it.
        assert_eq!(own_namespace_net(me as i32, "self"), Ok(None));
    }

    #[test]
    fn a_missing_pid_file_or_pid_names_the_target() {
        let e = find_roots(
            &ProcessSelector::PidFile("/nonexistent/x.pid".into()),
            "storj",
        )
        .unwrap_err();
        assert!(e.to_string().contains("storj") && e.to_string().contains("/nonexistent/x.pid"));
        let e = find_roots(&ProcessSelector::Pid(i32::MAX as u32), "t").unwrap_err();
        assert!(matches!(e, UsageError::NoProcess { .. }));
    }
}
