//! Finding the nodes on this machine (the library part of `orcha detect`): proposals only.
//!
//! Looks at default ports on loopback, processes by name, systemd units and Docker containers,
//! and merges what belongs to the same node. It reads no secret unless the caller asks for the
//! yagna app key (after asking the operator), and it saves nothing.

mod sources;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use orcha_core::secret::Sensitive;
use orcha_core::ProtocolId;

use crate::docker::DockerEngine;
use crate::target::{NameMatch, ProcessSelector, UsageTarget};

pub use sources::{
    listening_owner, parse_app_keys, parse_storj_config, parse_units, storj_config_dir,
    StorjConfig, UnitRow,
};

/// What a proposal is based on, for the operator to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A TCP port on 127.0.0.1 accepted a connection; `pid` owns the listening socket.
    Port { port: u16, pid: Option<i32> },
    /// A process with a node's name; `cmdline` as the kernel has it.
    Process { pid: i32, cmdline: Vec<String> },
    /// A systemd service whose name is a node's.
    Unit { unit: String, active: String },
    /// A Docker container whose image or name is a node's.
    Container {
        id: String,
        name: String,
        image: String,
    },
    /// The Storj `config.yaml` named by the node's `--config-dir`.
    StorjConfig(StorjConfig),
    /// `yagna app-key list` gave a key (its value is in `Proposal::app_key`).
    AppKey { name: String },
}

/// A node Orcha could add; nothing is saved until the operator accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub protocol: ProtocolId,
    /// A node name that satisfies `NodeId`'s rules (lowercase, digits, `-`, `_`, ≤ 32).
    pub name: String,
    /// The node's local API (`http://127.0.0.1:14002`).
    pub endpoint: Option<String>,
    /// Where its usage can be measured.
    pub target: Option<UsageTarget>,
    pub storage_path: Option<PathBuf>,
    pub evidence: Vec<Evidence>,
    /// Only when the caller asked for it; never printed (`Sensitive`).
    pub app_key: Option<Sensitive<String>>,
}

/// All proposals, and the parts that could not be looked at (no Docker, no systemd, …).
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub proposals: Vec<Proposal>,
    pub notes: Vec<String>,
}

/// What to look at.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// Ports tried on 127.0.0.1, with the protocol a listener there would be.
    pub ports: Vec<(ProtocolId, u16)>,
    pub connect_timeout: Duration,
    /// `None` skips Docker.
    pub docker: Option<DockerEngine>,
    pub systemd: bool,
    /// Run `yagna app-key list --json` for a Golem node found. The caller asks the operator
    /// first: the key grants full control of the node.
    pub read_yagna_app_key: bool,
    /// For `systemctl` and `yagna`.
    pub command_timeout: Duration,
    /// The programs run (a parameter so tests and packagers can point elsewhere).
    pub systemctl: PathBuf,
    pub yagna: PathBuf,
}

/// Storj's dashboard and the next few (one per extra node), yagna's API, Streamr's.
pub fn default_ports() -> Vec<(ProtocolId, u16)> {
    let mut p: Vec<(ProtocolId, u16)> = (14002..=14005).map(|p| (ProtocolId::Storj, p)).collect();
    p.push((ProtocolId::Golem, 7465));
    p.push((ProtocolId::Streamr, 7171));
    p
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            ports: default_ports(),
            connect_timeout: Duration::from_millis(300),
            docker: Some(DockerEngine::default()),
            systemd: true,
            read_yagna_app_key: false,
            command_timeout: Duration::from_secs(5),
            systemctl: "systemctl".into(),
            yagna: "yagna".into(),
        }
    }
}

/// Looks at everything `opts` allows and merges what is one node.
pub async fn detect(opts: &DetectOptions) -> Detection {
    let mut d = Detection::default();
    let ports = sources::open_ports(&opts.ports, opts.connect_timeout).await;
    let procs = match tokio::task::spawn_blocking(sources::node_processes).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            d.notes.push(format!("processes: {e}"));
            vec![]
        }
        Err(e) => {
            d.notes.push(format!("processes: {e}"));
            vec![]
        }
    };
    let units = if opts.systemd {
        match sources::units(&opts.systemctl, opts.command_timeout).await {
            Ok(u) => u,
            Err(e) => {
                d.notes.push(format!("systemd: {e}"));
                vec![]
            }
        }
    } else {
        vec![]
    };
    let containers = match &opts.docker {
        Some(engine) => match engine.list().await {
            Ok(c) => c,
            Err(e) => {
                d.notes.push(format!("docker: {e}"));
                vec![]
            }
        },
        None => vec![],
    };

    // Processes first: they carry the config dir and own the ports.
    for (protocol, pids) in &procs {
        let single = pids.len() == 1;
        for (pid, cmdline) in pids {
            let mut p = proposal(*protocol, protocol.as_str());
            let config_dir = storj_config_dir(cmdline);
            p.target = Some(match (&config_dir, single) {
                (_, true) => UsageTarget::default_for(*protocol),
                // Several Storj nodes differ by their config dir, which survives restarts.
                (Some(dir), false) => {
                    UsageTarget::Process(ProcessSelector::Names(vec![NameMatch::with_arg(
                        "storagenode",
                        &dir.to_string_lossy(),
                    )]))
                }
                (None, false) => {
                    UsageTarget::Process(ProcessSelector::Pid(u32::try_from(*pid).unwrap_or(0)))
                }
            });
            if *protocol == ProtocolId::Storj {
                if let Some(dir) = config_dir {
                    match parse_storj_config(&dir) {
                        Ok(cfg) => {
                            p.endpoint = cfg.console_address.as_deref().map(http_endpoint);
                            p.storage_path = cfg.storage_path.clone().map(PathBuf::from);
                            p.evidence.push(Evidence::StorjConfig(cfg));
                        }
                        Err(e) => d.notes.push(e.to_string()),
                    }
                }
            }
            p.evidence.push(Evidence::Process {
                pid: *pid,
                cmdline: cmdline.clone(),
            });
            d.proposals.push(p);
        }
    }
    for row in units {
        let Some(protocol) = sources::protocol_of_name(&row.unit) else {
            continue;
        };
        let ev = Evidence::Unit {
            unit: row.unit.clone(),
            active: row.active.clone(),
        };
        // With one process of the protocol, the unit is almost surely its service; the unit's
        // cgroup then measures the whole service, helpers included.
        let same: Vec<usize> = indexes(&d.proposals, protocol);
        if let [i] = same.as_slice() {
            d.proposals[*i].target = Some(UsageTarget::Unit(row.unit.clone()));
            d.proposals[*i].evidence.push(ev);
        } else {
            let mut p = proposal(protocol, row.unit.trim_end_matches(".service"));
            p.target = Some(UsageTarget::Unit(row.unit));
            p.evidence.push(ev);
            d.proposals.push(p);
        }
    }
    let mut container_ports = BTreeSet::new();
    for c in containers {
        let Some(protocol) =
            sources::protocol_of_name(&c.image).or_else(|| sources::protocol_of_name(&c.name))
        else {
            continue;
        };
        let mut p = proposal(protocol, &c.name);
        p.target = Some(UsageTarget::Container(c.name.clone()));
        for port in &c.public_ports {
            if ports
                .iter()
                .any(|(pr, pt, _)| *pr == protocol && pt == port)
            {
                container_ports.insert(*port);
                p.endpoint
                    .get_or_insert_with(|| http_endpoint(&format!("127.0.0.1:{port}")));
                p.evidence.push(Evidence::Port {
                    port: *port,
                    pid: None,
                });
            }
        }
        p.evidence.push(Evidence::Container {
            id: c.id,
            name: c.name,
            image: c.image,
        });
        d.proposals.push(p);
    }
    for (protocol, port, owner) in ports {
        if container_ports.contains(&port) {
            continue;
        }
        let ev = Evidence::Port { port, pid: owner };
        let endpoint = http_endpoint(&format!("127.0.0.1:{port}"));
        // The process whose tree owns the socket is the same node.
        let owner_tree = owner.and_then(|pid| {
            d.proposals.iter().position(|p| {
                p.protocol == protocol
                    && p.evidence.iter().any(|e| matches!(e, Evidence::Process { pid: q, .. } if sources::in_tree(*q, pid)))
            })
        });
        match owner_tree {
            Some(i) => {
                let p = &mut d.proposals[i];
                p.endpoint.get_or_insert(endpoint);
                p.evidence.push(ev);
            }
            None => {
                let mut p = proposal(protocol, &format!("{}-{port}", protocol.as_str()));
                p.endpoint = Some(endpoint);
                if let Some(pid) = owner {
                    p.target = Some(UsageTarget::Process(ProcessSelector::Pid(
                        u32::try_from(pid).unwrap_or(0),
                    )));
                }
                p.evidence.push(ev);
                d.proposals.push(p);
            }
        }
    }
    if opts.read_yagna_app_key {
        if let Some(i) = d
            .proposals
            .iter()
            .position(|p| p.protocol == ProtocolId::Golem)
        {
            match sources::yagna_app_key(&opts.yagna, opts.command_timeout).await {
                Ok(Some((name, key))) => {
                    d.proposals[i].evidence.push(Evidence::AppKey { name });
                    d.proposals[i].app_key = Some(Sensitive::new(key));
                }
                Ok(None) => d.notes.push("yagna: no app key exists yet".into()),
                Err(e) => d.notes.push(format!("yagna: {e}")),
            }
        }
    }
    unique_names(&mut d.proposals);
    d
}

fn proposal(protocol: ProtocolId, name: &str) -> Proposal {
    Proposal {
        protocol,
        name: node_name(name),
        endpoint: None,
        target: None,
        storage_path: None,
        evidence: vec![],
        app_key: None,
    }
}

fn indexes(ps: &[Proposal], protocol: ProtocolId) -> Vec<usize> {
    ps.iter()
        .enumerate()
        .filter(|(_, p)| p.protocol == protocol)
        .map(|(i, _)| i)
        .collect()
}

/// `127.0.0.1:14002` or `:14002` → `http://127.0.0.1:14002`; an all-addresses bind is
/// reached on loopback.
pub fn http_endpoint(addr: &str) -> String {
    let addr = addr.trim().trim_start_matches("http://");
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, ""));
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
        h => h,
    };
    if port.is_empty() {
        format!("http://{host}")
    } else {
        format!("http://{host}:{port}")
    }
}

/// A name `NodeId` accepts: lowercase letters, digits, `-`, `_`, 1–32 characters.
pub fn node_name(raw: &str) -> String {
    let mut s: String = raw
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s = s.trim_matches('-').chars().take(32).collect();
    if s.is_empty() {
        "local".into()
    } else {
        s
    }
}

/// Gives the second and later proposals of a protocol with the same name a `-2`, `-3`, … suffix.
fn unique_names(ps: &mut [Proposal]) {
    let mut seen = BTreeSet::new();
    for p in ps.iter_mut() {
        let base = p.name.clone();
        let mut n = 2;
        while !seen.insert((p.protocol, p.name.clone())) {
            let suffix = format!("-{n}");
            let keep = 32usize.saturating_sub(suffix.len());
            p.name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_node_names_and_unique_per_protocol() {
        assert_eq!(node_name("/Storj Node#1"), "storj-node-1");
        assert_eq!(node_name("***"), "local");
        assert_eq!(node_name(&"a".repeat(40)).len(), 32);
        let mut ps = vec![
            proposal(ProtocolId::Storj, "storj"),
            proposal(ProtocolId::Storj, "storj"),
            proposal(ProtocolId::Golem, "storj"),
        ];
        unique_names(&mut ps);
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["storj", "storj-2", "storj"]);
    }

    #[test]
    fn endpoints_point_at_loopback() {
        assert_eq!(http_endpoint(":14002"), "http://127.0.0.1:14002");
        assert_eq!(http_endpoint("0.0.0.0:7465"), "http://127.0.0.1:7465");
        assert_eq!(
            http_endpoint("192.168.1.2:14002"),
            "http://192.168.1.2:14002"
        );
    }

    #[test]
    fn default_ports_cover_every_api() {
        let p = default_ports();
        assert!(p.contains(&(ProtocolId::Storj, 14002)) && p.contains(&(ProtocolId::Storj, 14003)));
        assert!(p.contains(&(ProtocolId::Golem, 7465)) && p.contains(&(ProtocolId::Streamr, 7171)));
        // The app key is read only when asked.
        assert!(!DetectOptions::default().read_yagna_app_key);
    }
}
