//! `orcha serve` as a hardened systemd service: the unit text, install, uninstall and status.
//!
//! The CLI (`orcha service install|uninstall|status`) is a thin wrapper over these functions.
//! Secrets reach the service as systemd credentials (see `crate::credentials`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::credentials::CredentialFile;
use crate::run::run;

/// The unit's file name.
pub const UNIT_NAME: &str = "orcha.service";

/// `systemctl` calls may take this long (enable --now starts the service).
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(30);

/// A system service (root's manager, `/etc/systemd/system`) or the user's own manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    System,
    User,
}

impl Scope {
    fn systemctl_args(self) -> &'static [&'static str] {
        match self {
            Scope::System => &[],
            Scope::User => &["--user"],
        }
    }
}

/// What the unit runs and where it may write.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub scope: Scope,
    /// Absolute path of the `orcha` executable.
    pub exe: PathBuf,
    /// `--config` file; `None` means Orcha's own search (CONFIG_PATH, the config dir).
    pub config: Option<PathBuf>,
    /// The data directory (database, models): the only place the service may write.
    pub data_dir: PathBuf,
    /// System scope only: run as this user instead of root (it gets the capabilities as
    /// ambient ones). `None` runs as root with a bounded capability set.
    pub user: Option<String>,
    /// Credentials loaded into `$CREDENTIALS_DIRECTORY`.
    pub credentials: Vec<CredentialFile>,
    /// Extra `Environment=` lines, e.g. `ORCHA_API_TOKEN` must NOT go here (use a credential).
    pub environment: Vec<(String, String)>,
}

/// systemd unit files quote with C-style escapes; `%` starts a specifier and must be doubled.
fn quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    format!("\"{escaped}\"")
}

/// The unit text. Every hardening line has a reason next to it; `systemd-analyze verify`
/// accepts it (tested).
pub fn unit_text(spec: &ServiceSpec) -> String {
    let mut u = String::new();
    let data = spec.data_dir.display().to_string();
    let mut exec = quote(&spec.exe.display().to_string());
    if let Some(c) = &spec.config {
        let _ = write!(exec, " --config {}", quote(&c.display().to_string()));
    }
    exec.push_str(" serve");
    let _ = writeln!(
        u,
        "# Written by `orcha service install`; changes are overwritten."
    );
    u.push_str("[Unit]\nDescription=DePIN Orcha (headless)\n");
    u.push_str("After=network-online.target\nWants=network-online.target\n");
    // Give up after repeated crashes instead of looping forever; `systemctl reset-failed` resets.
    u.push_str("StartLimitIntervalSec=300\nStartLimitBurst=5\n\n");
    u.push_str("[Service]\nType=simple\n");
    let _ = writeln!(u, "ExecStart={exec}");
    let _ = writeln!(u, "Environment={}", quote(&format!("XDG_DATA_HOME={data}")));
    for (k, v) in &spec.environment {
        let _ = writeln!(u, "Environment={}", quote(&format!("{k}={v}")));
    }
    u.push_str("Restart=on-failure\nRestartSec=5s\n");
    // Orcha stops its tasks within `shutdown_deadline`; the ML engine child needs a little more.
    u.push_str("TimeoutStopSec=30s\n");
    // The ML engine sidecar and any helper live in the service's cgroup and stop with it.
    u.push_str("KillMode=mixed\n");
    u.push_str("UMask=0077\n");
    u.push_str("\n# Hardening\n");
    u.push_str("NoNewPrivileges=yes\n");
    // The whole file system is read-only except the data dir; /sys stays writable for cgroups.
    u.push_str("ProtectSystem=strict\n");
    let _ = writeln!(u, "ReadWritePaths={}", quote(&data));
    match spec.scope {
        // The data dir of a user service is under $HOME: read-only home, writable data dir.
        Scope::User => u.push_str("ProtectHome=read-only\n"),
        Scope::System => u.push_str("ProtectHome=yes\n"),
    }
    u.push_str("PrivateTmp=yes\n");
    u.push_str("ProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectClock=yes\n");
    u.push_str("ProtectHostname=yes\nRestrictSUIDSGID=yes\nLockPersonality=yes\n");
    u.push_str("RestrictRealtime=yes\nSystemCallArchitectures=native\n");
    // AF_NETLINK is how `tc` talks to the kernel; AF_UNIX reaches the Docker socket.
    u.push_str("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n");
    // Node limits are cgroup files of this and other services: this subtree is ours to manage.
    u.push_str("Delegate=yes\n");
    if spec.scope == Scope::System {
        // CAP_NET_ADMIN: bandwidth shaping with tc. CAP_DAC_OVERRIDE: writing cgroup files of
        // nodes whose cgroups are owned by another user. Nothing else.
        let caps = "CAP_NET_ADMIN CAP_DAC_OVERRIDE";
        let _ = writeln!(u, "CapabilityBoundingSet={caps}");
        if let Some(user) = &spec.user {
            let _ = writeln!(u, "User={user}");
            let _ = writeln!(u, "AmbientCapabilities={caps}");
        }
    }
    if !spec.credentials.is_empty() {
        u.push_str("\n# Secrets, decrypted by systemd into $CREDENTIALS_DIRECTORY\n");
        for c in &spec.credentials {
            // A user manager cannot decrypt with the host key (systemd < 256): plain 0600 files.
            let key = if c.encrypted {
                "LoadCredentialEncrypted"
            } else {
                "LoadCredential"
            };
            let _ = writeln!(u, "{key}={}:{}", c.name, c.path.display());
        }
    }
    u.push_str("\n[Install]\n");
    match spec.scope {
        Scope::System => u.push_str("WantedBy=multi-user.target\n"),
        Scope::User => u.push_str("WantedBy=default.target\n"),
    }
    u
}

/// Where the unit file goes: `/etc/systemd/system` or `$XDG_CONFIG_HOME/systemd/user`.
pub fn unit_path(scope: Scope, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match scope {
        Scope::System => Some(PathBuf::from("/etc/systemd/system").join(UNIT_NAME)),
        Scope::User => {
            let config = env("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))?;
            Some(config.join("systemd/user").join(UNIT_NAME))
        }
    }
}

/// What went wrong installing or asking about the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("`systemctl {args}` failed: {reason}")]
    Systemctl { args: String, reason: String },
    #[error("no home directory (HOME) for a user service")]
    NoHome,
}

fn systemctl(scope: Scope, args: &[&str]) -> Result<String, ServiceError> {
    let mut all: Vec<&str> = scope.systemctl_args().to_vec();
    all.extend_from_slice(args);
    let shown = all.join(" ");
    match run("systemctl", &all, None, SYSTEMCTL_TIMEOUT) {
        Ok(o) if o.success => Ok(o.stdout),
        Ok(o) => Err(ServiceError::Systemctl {
            args: shown,
            reason: o.stderr.trim().to_owned(),
        }),
        Err(e) => Err(ServiceError::Systemctl {
            args: shown,
            reason: e.to_string(),
        }),
    }
}

/// Writes the unit (atomically), creates the data dir, reloads systemd and enables and starts
/// the service. Returns the unit's path.
pub fn install(
    spec: &ServiceSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, ServiceError> {
    let path = unit_path(spec.scope, env).ok_or(ServiceError::NoHome)?;
    let err = |p: &Path, e: std::io::Error| ServiceError::Write {
        path: p.to_owned(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(&spec.data_dir).map_err(|e| err(&spec.data_dir, e))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    }
    let tmp = path.with_extension("service.tmp");
    std::fs::write(&tmp, unit_text(spec)).map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| err(&path, e))?;
    systemctl(spec.scope, &["daemon-reload"])?;
    systemctl(spec.scope, &["enable", "--now", UNIT_NAME])?;
    Ok(path)
}

/// Stops and disables the service and removes its unit; the data dir and credentials stay.
pub fn uninstall(
    scope: Scope,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, ServiceError> {
    let path = unit_path(scope, env).ok_or(ServiceError::NoHome)?;
    if !path.exists() {
        return Ok(None);
    }
    // A unit that is not running or not enabled is fine to remove.
    let _ = systemctl(scope, &["disable", "--now", UNIT_NAME]);
    std::fs::remove_file(&path).map_err(|e| ServiceError::Write {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    systemctl(scope, &["daemon-reload"])?;
    Ok(Some(path))
}

/// The service as systemd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// `LoadState`: `loaded`, `not-found`, …
    pub load: String,
    /// `ActiveState`: `active`, `inactive`, `failed`, …
    pub active: String,
    /// `SubState`: `running`, `dead`, `auto-restart`, …
    pub sub: String,
    pub main_pid: Option<u32>,
    /// `UnitFileState`: `enabled`, `disabled`, …
    pub enabled: String,
}

/// Parses `systemctl show -p …` output (`Key=value` lines).
pub fn parse_show(text: &str) -> ServiceStatus {
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .unwrap_or("")
            .to_owned()
    };
    ServiceStatus {
        load: get("LoadState"),
        active: get("ActiveState"),
        sub: get("SubState"),
        main_pid: get("MainPID").parse().ok().filter(|p| *p != 0),
        enabled: get("UnitFileState"),
    }
}

/// Asks systemd about the service.
pub fn status(scope: Scope) -> Result<ServiceStatus, ServiceError> {
    let out = systemctl(
        scope,
        &[
            "show",
            UNIT_NAME,
            "-p",
            "LoadState,ActiveState,SubState,MainPID,UnitFileState",
        ],
    )?;
    Ok(parse_show(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_output_is_parsed() {
        let s = parse_show("LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=42\nUnitFileState=enabled\n");
        assert_eq!(s.active, "active");
        assert_eq!(s.main_pid, Some(42));
        assert_eq!(parse_show("MainPID=0\n").main_pid, None);
    }

    #[test]
    fn paths_are_quoted_and_percent_is_escaped() {
        assert_eq!(quote("/a b/100%"), "\"/a b/100%%\"");
        let p = unit_path(Scope::User, &|k| {
            (k == "HOME").then(|| "/home/x".to_owned())
        });
        assert_eq!(
            p.unwrap(),
            PathBuf::from("/home/x/.config/systemd/user/orcha.service")
        );
    }
}
