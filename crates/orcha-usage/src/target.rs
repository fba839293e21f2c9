//! What a node's usage is read from: its process, its systemd unit, a cgroup or its container.

use std::fmt;
use std::path::PathBuf;

use orcha_core::ProtocolId;

/// How a node's processes are recognised by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMatch {
    /// The executable's file name (`/proc/<pid>/comm`, the `exe` link or `argv[0]`).
    pub name: String,
    /// When set, some argument must contain it: a Streamr node runs as plain `node`.
    pub arg_contains: Option<String>,
}

impl NameMatch {
    pub fn exact(name: &str) -> Self {
        NameMatch {
            name: name.to_owned(),
            arg_contains: None,
        }
    }

    pub fn with_arg(name: &str, arg: &str) -> Self {
        NameMatch {
            name: name.to_owned(),
            arg_contains: Some(arg.to_owned()),
        }
    }

    /// Whether a process with this `comm`, executable base name and command line matches.
    /// `comm` is cut to 15 bytes by the kernel, so a long name is compared on that prefix.
    pub fn matches(&self, comm: &str, exe_name: Option<&str>, cmdline: &[String]) -> bool {
        let argv0 = cmdline
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a.as_str()));
        let want = self.name.as_str();
        let comm_hit = if want.len() > 15 {
            want.as_bytes().get(..15) == Some(comm.as_bytes())
        } else {
            comm == want
        };
        let named = comm_hit || exe_name == Some(want) || argv0 == Some(want);
        named
            && match &self.arg_contains {
                None => true,
                Some(a) => cmdline.iter().skip(1).any(|arg| arg.contains(a.as_str())),
            }
    }
}

/// Which processes are the node's: the roots; their descendants are counted with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSelector {
    /// Every process matching any of these names (a Golem node is `yagna` plus `ya-provider`).
    Names(Vec<NameMatch>),
    /// The pid written in this file (what init scripts and `--pid-file` options leave behind).
    PidFile(PathBuf),
    /// A pid known by the caller (a child it started, `orcha probe --process <pid>`).
    Pid(u32),
}

/// Where a node's usage is measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageTarget {
    /// A native process and its children.
    Process(ProcessSelector),
    /// A systemd service (`storagenode.service`); measured through its cgroup.
    Unit(String),
    /// A cgroup by its path below the hierarchy root (`/orcha/storj-1`), the same in every v1
    /// controller; what Orcha's own cgroup enforcement creates for a native node.
    Cgroup(String),
    /// A Docker container by name or id.
    Container(String),
}

impl UsageTarget {
    /// The default target of a protocol's node when the operator configured none.
    pub fn default_for(protocol: ProtocolId) -> UsageTarget {
        UsageTarget::Process(ProcessSelector::Names(default_names(protocol)))
    }
}

impl UsageTarget {
    /// The cgroup path of a `Cgroup` target.
    pub fn cgroup_path(&self) -> Option<String> {
        match self {
            UsageTarget::Cgroup(c) => Some(c.clone()),
            _ => None,
        }
    }
}

/// The process names a protocol's node runs under.
pub fn default_names(protocol: ProtocolId) -> Vec<NameMatch> {
    match protocol {
        ProtocolId::Storj => vec![NameMatch::exact("storagenode")],
        ProtocolId::Golem => vec![NameMatch::exact("yagna"), NameMatch::exact("ya-provider")],
        ProtocolId::Streamr => vec![
            NameMatch::exact("streamr-node"),
            NameMatch::exact("streamr-broker"),
            NameMatch::with_arg("node", "streamr"),
        ],
        // The Grass desktop app (a Tauri app; the .deb installs `grass`, the AppImage `Grass`).
        ProtocolId::Grass => vec![NameMatch::exact("grass"), NameMatch::exact("Grass")],
    }
}

impl fmt::Display for UsageTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageTarget::Process(ProcessSelector::Names(n)) => {
                let names: Vec<&str> = n.iter().map(|m| m.name.as_str()).collect();
                write!(f, "process {}", names.join("|"))
            }
            UsageTarget::Process(ProcessSelector::PidFile(p)) => {
                write!(f, "process from {}", p.display())
            }
            UsageTarget::Process(ProcessSelector::Pid(p)) => write!(f, "process {p}"),
            UsageTarget::Unit(u) => write!(f, "unit {u}"),
            UsageTarget::Cgroup(c) => write!(f, "cgroup {c}"),
            UsageTarget::Container(c) => write!(f, "container {c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_match_comm_exe_or_argv0_and_required_argument() {
        let storj = NameMatch::exact("storagenode");
        assert!(storj.matches("storagenode", None, &[]));
        assert!(storj.matches("x", Some("storagenode"), &[]));
        assert!(storj.matches("x", None, &args(&["/app/storagenode", "run"])));
        assert!(!storj.matches("storagenode2", None, &args(&["storagenode2"])));
        let streamr = NameMatch::with_arg("node", "streamr");
        assert!(streamr.matches("node", None, &args(&["node", "/usr/bin/streamr-node"])));
        assert!(!streamr.matches("node", None, &args(&["node", "server.js"])));
        // comm is truncated to 15 bytes by the kernel.
        let long = NameMatch::exact("a-very-long-node-name");
        assert!(long.matches("a-very-long-nod", None, &[]));
    }

    #[test]
    fn every_protocol_has_a_default_target() {
        for p in ProtocolId::ALL {
            assert!(matches!(
                UsageTarget::default_for(p),
                UsageTarget::Process(ProcessSelector::Names(ref n)) if !n.is_empty()
            ));
        }
    }
}
