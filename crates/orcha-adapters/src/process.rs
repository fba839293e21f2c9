//! Whether a node's process runs on this machine: `/proc` for native processes, `docker inspect` for containers.

use std::path::PathBuf;
use std::time::Duration;

/// How Orcha sees whether a node's process runs on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalProcess {
    /// Not checked.
    Unchecked,
    /// A process with an argument whose file name is exactly this (`streamr-node`, `grass`),
    /// found in `/proc` (Linux only; containers' processes are visible there too).
    Named(String),
    /// A Docker container, asked with `docker inspect`.
    Container { docker: PathBuf, name: String },
}

impl LocalProcess {
    /// `Some(true)` running, `Some(false)` not running, `None` cannot tell (no `/proc`, no Docker).
    pub async fn is_running(&self, timeout: Duration) -> Option<bool> {
        match self {
            LocalProcess::Unchecked => None,
            LocalProcess::Named(name) => {
                let name = name.clone();
                tokio::task::spawn_blocking(move || proc_has(&name))
                    .await
                    .ok()
                    .flatten()
            }
            LocalProcess::Container { docker, name } => {
                let mut cmd = tokio::process::Command::new(docker);
                cmd.args(["inspect", "-f", "{{.State.Running}}", name])
                    .stdin(std::process::Stdio::null())
                    .kill_on_drop(true);
                let out = tokio::time::timeout(timeout, cmd.output())
                    .await
                    .ok()?
                    .ok()?;
                if out.status.success() {
                    Some(String::from_utf8_lossy(&out.stdout).trim() == "true")
                } else if String::from_utf8_lossy(&out.stderr).contains("No such") {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }

    /// How the process is named in health reasons.
    pub fn describe(&self) -> String {
        match self {
            LocalProcess::Unchecked => "the node process".to_owned(),
            LocalProcess::Named(n) => format!("no `{n}` process"),
            LocalProcess::Container { name, .. } => format!("the Docker container `{name}`"),
        }
    }
}

fn proc_has(name: &str) -> Option<bool> {
    let dir = std::fs::read_dir("/proc").ok()?;
    for entry in dir.flatten() {
        let file_name = entry.file_name();
        if !file_name
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let hit = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .any(|arg| {
                let arg = String::from_utf8_lossy(arg);
                arg.rsplit('/').next() == Some(name)
            });
        if hit {
            return Some(true);
        }
    }
    Some(false)
}
