//! Finding the nodes on this machine: a read-only proposal. Nothing is saved and no secret is
//! read here; the operator accepts a proposal through the settings (or `orcha detect --write`).

use std::sync::Arc;

use orcha_usage::{
    default_names, DetectOptions, Detection, Evidence, ProcessSelector, Proposal, UsageTarget,
};

use crate::dto::*;
use crate::state::AppState;

/// Detection with the defaults (loopback ports, processes, systemd units, Docker containers);
/// the yagna app key is never read here.
pub async fn detect_nodes(state: &Arc<AppState>) -> Result<DetectionDto, ApiError> {
    let d = orcha_usage::detect(&DetectOptions::default()).await;
    let configured: Vec<(String, String)> = state
        .nodes
        .iter()
        .map(|n| (n.config.id.to_string(), n.config.api_endpoint.clone()))
        .collect();
    Ok(detection_dto(
        &d,
        &configured,
        &enabled_protocols(&state.config),
    ))
}

/// The protocols whose table already holds a node: new ones go to their `nodes` list.
pub fn enabled_protocols(config: &orcha_core::config::Config) -> Vec<orcha_core::ProtocolId> {
    config
        .protocols
        .tables()
        .iter()
        .filter(|t| t.enabled)
        .map(|t| t.protocol)
        .collect()
}

/// The `[usage.nodes]` keys of a proposal's target; the protocol's default names need none.
fn target_keys(p: &Proposal) -> (Option<String>, Option<String>, Option<String>) {
    match &p.target {
        Some(UsageTarget::Process(ProcessSelector::Names(n)))
            if *n == default_names(p.protocol) =>
        {
            (None, None, None)
        }
        Some(UsageTarget::Process(ProcessSelector::Names(n)))
            if n.iter().all(|m| m.arg_contains.is_none()) =>
        {
            let names: Vec<&str> = n.iter().map(|m| m.name.as_str()).collect();
            (Some(names.join("|")), None, None)
        }
        // A name with a required argument (a second Storj node's config dir) has no config
        // syntax: the pid found now stands in, and the operator is told it changes on restart.
        Some(UsageTarget::Process(_)) => (pid_of(p).map(|pid| pid.to_string()), None, None),
        Some(UsageTarget::Unit(u)) => (None, Some(u.clone()), None),
        Some(UsageTarget::Container(c)) => (None, None, Some(c.clone())),
        Some(UsageTarget::Cgroup(_)) | None => (None, None, None),
    }
}

fn pid_of(p: &Proposal) -> Option<i32> {
    p.evidence.iter().find_map(|e| match e {
        Evidence::Process { pid, .. } => Some(*pid),
        Evidence::Port { pid: Some(pid), .. } => Some(*pid),
        _ => None,
    })
}

fn config_yaml(p: &Proposal) -> Option<String> {
    p.evidence.iter().find_map(|e| match e {
        Evidence::StorjConfig(c) => Some(c.path.display().to_string()),
        _ => None,
    })
}

/// One piece of evidence in words; command lines are cut short (they can be long, and the
/// operator needs only to recognize the process).
pub fn evidence_text(e: &Evidence) -> String {
    match e {
        Evidence::Port { port, pid } => match pid {
            Some(pid) => format!("port {port} on 127.0.0.1 answers (pid {pid})"),
            None => format!("port {port} on 127.0.0.1 answers"),
        },
        Evidence::Process { pid, cmdline } => {
            let mut cmd = cmdline.join(" ");
            if cmd.len() > 120 {
                let cut = (0..=117)
                    .rev()
                    .find(|i| cmd.is_char_boundary(*i))
                    .unwrap_or(0);
                cmd.truncate(cut);
                cmd.push('…');
            }
            format!("process {pid}: {cmd}")
        }
        Evidence::Unit { unit, active } => format!("systemd unit {unit} ({active})"),
        Evidence::Container { name, image, .. } => {
            format!("Docker container {name} (image {image})")
        }
        Evidence::StorjConfig(c) => format!("Storj config {}", c.path.display()),
        Evidence::AppKey { name } => format!("yagna app key \"{name}\" (read with your consent)"),
    }
}

fn credential_hint(p: &Proposal) -> Option<String> {
    match p.protocol {
        orcha_core::ProtocolId::Golem if p.app_key.is_none() => Some(format!(
            "yagna needs an app key: `yagna app-key list`, then `orcha secret set golem:{}/app_key` (or `orcha detect --app-key --write`)",
            p.name
        )),
        orcha_core::ProtocolId::Grass => Some(format!(
            "Grass needs your dashboard session token: `orcha secret set grass:{}/token`",
            p.name
        )),
        _ => None,
    }
}

/// The proposals as the API shows them, each marked when a configured node has its id or
/// endpoint.
pub fn detection_dto(
    d: &Detection,
    configured: &[(String, String)],
    enabled: &[orcha_core::ProtocolId],
) -> DetectionDto {
    let nodes = d
        .proposals
        .iter()
        .map(|p| {
            let id = format!("{}:{}", p.protocol.as_str(), p.name);
            let (process, unit, container) = target_keys(p);
            let already_configured = configured.iter().any(|(cid, ep)| {
                *cid == id || p.endpoint.as_deref().is_some_and(|e| same_endpoint(e, ep))
            });
            DetectedNodeDto {
                id,
                protocol: p.protocol.as_str().to_owned(),
                name: p.name.clone(),
                endpoint: p.endpoint.clone(),
                target: p.target.as_ref().map(ToString::to_string),
                process,
                unit,
                container,
                storage_path: p.storage_path.as_ref().map(|s| s.display().to_string()),
                config_yaml: config_yaml(p),
                evidence: p.evidence.iter().map(evidence_text).collect(),
                already_configured,
                credential_hint: credential_hint(p),
            }
        })
        .collect::<Vec<_>>();
    DetectionDto {
        config_toml: config_toml(&nodes, enabled),
        nodes,
        notes: d.notes.clone(),
    }
}

/// `http://localhost:14002/` and `http://127.0.0.1:14002` are the same node.
fn same_endpoint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_end_matches('/')
            .replace("://localhost", "://127.0.0.1")
    };
    norm(a) == norm(b)
}

fn quoted(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_owned()
}

/// The proposal as config-file TOML: the first node of a protocol not yet `enabled` is its
/// table's node, the others go to its `nodes` list; where each runs goes to `[usage.nodes]`.
/// Nodes already configured are left out.
pub fn config_toml(nodes: &[DetectedNodeDto], enabled: &[orcha_core::ProtocolId]) -> String {
    let mut out = String::new();
    let mut usage = String::new();
    for protocol in orcha_core::ProtocolId::ALL {
        let of: Vec<&DetectedNodeDto> = nodes
            .iter()
            .filter(|n| n.protocol == protocol.as_str() && !n.already_configured)
            .collect();
        if of.is_empty() {
            continue;
        }
        let rest = if enabled.contains(&protocol) {
            &of[..]
        } else {
            let first = of[0];
            out.push_str(&format!(
                "[protocols.{}]\nenabled = true\n",
                protocol.as_str()
            ));
            out.push_str(&format!("name = {}\n", quoted(&first.name)));
            if let Some(e) = &first.endpoint {
                out.push_str(&format!("api_endpoint = {}\n", quoted(e)));
            }
            if let Some(c) = &first.config_yaml {
                out.push_str(&format!("config_yaml = {}\n", quoted(c)));
            }
            &of[1..]
        };
        for n in rest {
            if let Some(e) = &n.endpoint {
                out.push_str(&format!(
                    "[[protocols.{}.nodes]]\nname = {}\napi_endpoint = {}\n",
                    protocol.as_str(),
                    quoted(&n.name),
                    quoted(e)
                ));
            }
        }
        out.push('\n');
        for n in &of {
            let keys: Vec<(&str, &Option<String>)> = vec![
                ("process", &n.process),
                ("unit", &n.unit),
                ("container", &n.container),
                ("storage_path", &n.storage_path),
            ];
            if keys.iter().all(|(_, v)| v.is_none()) {
                continue;
            }
            usage.push_str(&format!("[usage.nodes.{}]\n", quoted(&n.id)));
            for (k, v) in keys {
                if let Some(v) = v {
                    usage.push_str(&format!("{k} = {}\n", quoted(v)));
                }
            }
            usage.push('\n');
        }
    }
    out.push_str(&usage);
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use orcha_core::ProtocolId;

    fn proposal(protocol: ProtocolId, name: &str, endpoint: &str) -> Proposal {
        Proposal {
            protocol,
            name: name.into(),
            endpoint: Some(endpoint.into()),
            target: Some(UsageTarget::default_for(protocol)),
            storage_path: None,
            evidence: vec![Evidence::Port {
                port: 14002,
                pid: Some(7),
            }],
            app_key: None,
        }
    }

    #[test]
    fn the_proposal_parses_as_config_and_skips_configured_nodes() {
        let mut second = proposal(ProtocolId::Storj, "storj-2", "http://127.0.0.1:14003");
        second.target = Some(UsageTarget::Unit("storagenode2.service".into()));
        second.storage_path = Some("/mnt/b".into());
        let d = Detection {
            proposals: vec![
                proposal(ProtocolId::Storj, "storj", "http://127.0.0.1:14002"),
                second,
                proposal(ProtocolId::Golem, "golem", "http://127.0.0.1:7465"),
            ],
            notes: vec!["docker: no socket".into()],
        };
        let dto = detection_dto(
            &d,
            &[("golem:main".into(), "http://localhost:7465/".into())],
            &[ProtocolId::Golem],
        );
        assert!(dto.nodes[2].already_configured);
        assert!(!dto.nodes[0].already_configured);
        assert_eq!(dto.nodes[1].unit.as_deref(), Some("storagenode2.service"));
        assert_eq!(dto.nodes[0].process, None, "the default names need no key");
        assert!(dto.nodes[2]
            .credential_hint
            .as_deref()
            .unwrap()
            .contains("app-key"));
        assert_eq!(
            dto.nodes[0].evidence,
            ["port 14002 on 127.0.0.1 answers (pid 7)"]
        );
        let config = orcha_core::config::Config::from_toml(
            &dto.config_toml,
            std::path::Path::new("proposal.toml"),
        )
        .unwrap();
        let nodes: Vec<String> = config
            .nodes()
            .iter()
            .map(|n| format!("{} {}", n.id, n.api_endpoint))
            .collect();
        assert_eq!(
            nodes,
            [
                "storj:storj http://127.0.0.1:14002",
                "storj:storj-2 http://127.0.0.1:14003"
            ]
        );
        assert_eq!(config.usage.nodes["storj:storj-2"].storage_path, "/mnt/b");
        assert!(!config.protocols.golem.enabled);
    }
}
