//! The places detection looks: loopback ports, /proc, `systemctl`, Storj's config and `yagna`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use orcha_core::ProtocolId;
use procfs::process::FDTarget;
use serde_json::Value;

use crate::error::UsageError;
use crate::procs::{pids_named, tree_of};
use crate::target::default_names;

/// A command's output beyond this is not what we asked for.
const OUTPUT_CAP: usize = 1024 * 1024;

/// The ports that accept a TCP connection on 127.0.0.1, with the pid owning the listener.
pub async fn open_ports(
    ports: &[(ProtocolId, u16)],
    timeout: Duration,
) -> Vec<(ProtocolId, u16, Option<i32>)> {
    let mut open = vec![];
    for &(protocol, port) in ports {
        let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
        if let Ok(Ok(_stream)) = tokio::time::timeout(timeout, connect).await {
            open.push((protocol, port));
        }
    }
    let owners = tokio::task::spawn_blocking({
        let ports: Vec<u16> = open.iter().map(|(_, p)| *p).collect();
        move || {
            ports
                .iter()
                .map(|p| listening_owner(*p))
                .collect::<Vec<_>>()
        }
    })
    .await
    .unwrap_or_default();
    open.into_iter()
        .enumerate()
        .map(|(i, (pr, pt))| (pr, pt, owners.get(i).copied().flatten()))
        .collect()
}

/// The pid holding the listening TCP socket on `port` (IPv4 or IPv6) in our namespace.
pub fn listening_owner(port: u16) -> Option<i32> {
    let mut inodes: Vec<u64> = vec![];
    for table in [procfs::net::tcp(), procfs::net::tcp6()]
        .into_iter()
        .flatten()
    {
        inodes.extend(
            table
                .iter()
                .filter(|e| {
                    e.local_address.port() == port && e.state == procfs::net::TcpState::Listen
                })
                .map(|e| e.inode),
        );
    }
    if inodes.is_empty() {
        return None;
    }
    for p in procfs::process::all_processes().ok()?.flatten() {
        let Ok(fds) = p.fd() else { continue };
        for fd in fds.flatten() {
            if let FDTarget::Socket(inode) = fd.target {
                if inodes.contains(&inode) {
                    return Some(p.pid);
                }
            }
        }
    }
    None
}

/// Whether `pid` is `root` or one of its descendants.
pub fn in_tree(root: i32, pid: i32) -> bool {
    tree_of(&[root]).is_ok_and(|t| t.contains(&pid))
}

/// A running process: its pid and command line.
pub type NodeProcess = (i32, Vec<String>);

/// Running processes of each protocol, by its default names, with their command lines.
pub fn node_processes() -> Result<Vec<(ProtocolId, Vec<NodeProcess>)>, UsageError> {
    let mut out = vec![];
    for protocol in ProtocolId::ALL {
        let pids = pids_named(&default_names(protocol))
            .map_err(|e| UsageError::read("detect", "/proc", e))?;
        if pids.is_empty() {
            continue;
        }
        let with_cmd = pids
            .into_iter()
            .map(|pid| {
                let cmd = procfs::process::Process::new(pid)
                    .and_then(|p| p.cmdline())
                    .unwrap_or_default();
                (pid, cmd)
            })
            .collect();
        out.push((protocol, with_cmd));
    }
    Ok(out)
}

/// Which protocol a unit, image or container name belongs to.
pub fn protocol_of_name(name: &str) -> Option<ProtocolId> {
    let n = name.to_lowercase();
    if n.contains("storagenode") || n.contains("storj") {
        Some(ProtocolId::Storj)
    } else if n.contains("yagna") || n.contains("golem") || n.contains("ya-provider") {
        Some(ProtocolId::Golem)
    } else if n.contains("streamr") {
        Some(ProtocolId::Streamr)
    } else if n.contains("grass") {
        Some(ProtocolId::Grass)
    } else {
        None
    }
}

/// A service row of `systemctl list-units --output=json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub unit: String,
    pub active: String,
}

/// The service units systemd knows, when `systemctl` exists and systemd runs.
pub async fn units(systemctl: &Path, timeout: Duration) -> Result<Vec<UnitRow>, UsageError> {
    let out = run(
        systemctl,
        &[
            "list-units",
            "--type=service",
            "--all",
            "--output=json",
            "--no-pager",
        ],
        timeout,
    )
    .await?;
    parse_units(&out).map_err(|reason| UsageError::Parse {
        target: "detect".into(),
        path: "systemctl list-units".into(),
        reason,
    })
}

pub fn parse_units(text: &str) -> Result<Vec<UnitRow>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let rows = v.as_array().ok_or("not a JSON array")?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(UnitRow {
                unit: r.get("unit")?.as_str()?.to_owned(),
                active: r
                    .get("active")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            })
        })
        .collect())
}

/// What detection reads from a Storj `config.yaml`: no secrets are in these keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorjConfig {
    pub path: PathBuf,
    pub console_address: Option<String>,
    pub storage_path: Option<String>,
}

/// The `--config-dir` of a storagenode command line (`--config-dir X` or `--config-dir=X`).
pub fn storj_config_dir(cmdline: &[String]) -> Option<PathBuf> {
    let mut it = cmdline.iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--config-dir=") {
            return Some(PathBuf::from(v));
        }
        if a == "--config-dir" {
            return it.next().map(PathBuf::from);
        }
    }
    None
}

/// Reads `console.address` and `storage.path` from `<dir>/config.yaml` (flat `key: value`
/// lines, as storagenode writes it; a value may be quoted).
pub fn parse_storj_config(dir: &Path) -> Result<StorjConfig, UsageError> {
    let path = dir.join("config.yaml");
    let meta =
        std::fs::metadata(&path).map_err(|e| UsageError::read("detect", path.display(), e))?;
    if meta.len() > OUTPUT_CAP as u64 {
        return Err(UsageError::TooLarge {
            target: "detect".into(),
            endpoint: path.display().to_string(),
            cap: OUTPUT_CAP,
        });
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UsageError::read("detect", path.display(), e))?;
    let value = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.trim().split_once(':')?;
            (k.trim() == key).then(|| {
                let v = v.split(" #").next().unwrap_or(v).trim();
                v.trim_matches('"').trim_matches('\'').to_owned()
            })
        })
    };
    Ok(StorjConfig {
        console_address: value("console.address").filter(|v| !v.is_empty()),
        storage_path: value("storage.path").filter(|v| !v.is_empty()),
        path,
    })
}

/// The first app key from `yagna app-key list --json` as `(name, key)`.
pub async fn yagna_app_key(
    yagna: &Path,
    timeout: Duration,
) -> Result<Option<(String, String)>, UsageError> {
    let out = run(yagna, &["app-key", "list", "--json"], timeout).await?;
    let keys = parse_app_keys(&out).map_err(|reason| UsageError::Parse {
        target: "golem".into(),
        path: "yagna app-key list --json".into(),
        reason,
    })?;
    Ok(keys.into_iter().next())
}

/// Both shapes yagna has printed: a list of objects, or `{"headers": […], "values": [[…]]}`.
pub fn parse_app_keys(text: &str) -> Result<Vec<(String, String)>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Some(rows) = v.as_array() {
        return Ok(rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.get("name")?.as_str()?.to_owned(),
                    r.get("key")?.as_str()?.to_owned(),
                ))
            })
            .collect());
    }
    let headers: Vec<&str> = v
        .get("headers")
        .and_then(Value::as_array)
        .ok_or("neither a list nor a table")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let col = |h: &str| headers.iter().position(|x| *x == h);
    let (Some(n), Some(k)) = (col("name"), col("key")) else {
        return Err("no name/key columns".into());
    };
    let rows = v
        .get("values")
        .and_then(Value::as_array)
        .ok_or("no values")?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let r = r.as_array()?;
            Some((
                r.get(n)?.as_str()?.to_owned(),
                r.get(k)?.as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// Runs a command under a timeout (killed when it expires) and returns its stdout.
async fn run(cmd: &Path, args: &[&str], timeout: Duration) -> Result<String, UsageError> {
    let endpoint = format!("{} {}", cmd.display(), args.join(" "));
    let fail = |reason: String| UsageError::Endpoint {
        target: "detect".into(),
        endpoint: endpoint.clone(),
        reason,
    };
    let child = tokio::process::Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(timeout, child).await {
        Ok(r) => r.map_err(|e| fail(e.to_string()))?,
        Err(_) => {
            return Err(UsageError::Timeout {
                target: "detect".into(),
                endpoint,
                after: timeout,
            })
        }
    };
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    if out.stdout.len() > OUTPUT_CAP {
        return Err(UsageError::TooLarge {
            target: "detect".into(),
            endpoint,
            cap: OUTPUT_CAP,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn storj_config_dir_in_both_spellings_and_its_config() {
        assert_eq!(
            storj_config_dir(&args(&["storagenode", "run", "--config-dir", "/etc/sn"])),
            Some("/etc/sn".into())
        );
        assert_eq!(
            storj_config_dir(&args(&["storagenode", "--config-dir=/c"])),
            Some("/c".into())
        );
        assert_eq!(
            storj_config_dir(&args(&["storagenode", "--config-dir"])),
            None
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            "# comment\nconsole.address: 127.0.0.1:14002\nstorage.path: \"/mnt/storj\" # data\nidentity.key-path: /id/key\n",
        )
        .unwrap();
        let c = parse_storj_config(dir.path()).unwrap();
        assert_eq!(c.console_address.as_deref(), Some("127.0.0.1:14002"));
        assert_eq!(c.storage_path.as_deref(), Some("/mnt/storj"));
        assert!(parse_storj_config(Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn units_and_app_keys_in_every_shape() {
        let u = parse_units(r#"[{"unit":"storagenode.service","load":"loaded","active":"active","sub":"running"},{"x":1}]"#).unwrap();
        assert_eq!(
            u,
            vec![UnitRow {
                unit: "storagenode.service".into(),
                active: "active".into()
            }]
        );
        assert!(parse_units("{}").is_err());
        let list = parse_app_keys(r#"[{"name":"checker","key":"abc","id":"0x1"}]"#).unwrap();
        assert_eq!(list, vec![("checker".into(), "abc".into())]);
        let table = parse_app_keys(r#"{"headers":["name","key","id"],"values":[["c","k1","0x"]]}"#)
            .unwrap();
        assert_eq!(table, vec![("c".into(), "k1".into())]);
        assert!(parse_app_keys(r#"{"headers":["id"],"values":[]}"#).is_err());
        assert!(parse_app_keys("nope").is_err());
    }

    #[test]
    fn names_map_to_protocols() {
        assert_eq!(
            protocol_of_name("storjlabs/storagenode:latest"),
            Some(ProtocolId::Storj)
        );
        assert_eq!(
            protocol_of_name("golem-provider.service"),
            Some(ProtocolId::Golem)
        );
        assert_eq!(protocol_of_name("streamr/node"), Some(ProtocolId::Streamr));
        assert_eq!(protocol_of_name("nginx"), None);
    }
}
