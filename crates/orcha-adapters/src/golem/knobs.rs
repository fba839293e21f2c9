//! Golem knobs: the provider's hardware profile and preset prices, changed through `ya-provider` or its files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orcha_core::{AdapterError, Money, Token};
use serde::Deserialize;

use super::model::{ActiveProfile, Preset};
use super::normalize::{check_profile, normalize_presets};
use super::units::{GIB, MIB};
use super::wire::{HardwareProfile, RawPreset};
use super::{Cli, GolemAdapter};
use crate::probe::decode;
use orcha_core::money::trim_decimal;

impl GolemAdapter {
    pub(super) fn data_dir(&self) -> Option<PathBuf> {
        self.settings.data_dir.clone()
    }

    /// Runs ya-provider with `args`; `Cli::Absent` when the executable is not installed.
    pub(super) async fn cli(&self, args: &[&str]) -> Result<Cli, AdapterError> {
        let exe = &self.settings.ya_provider;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.args(args)
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null());
        if let Some(dir) = &self.settings.data_dir {
            cmd.env("DATA_DIR", dir);
        }
        let what = format!("`{} {}`", exe.display(), args.join(" "));
        let out = match tokio::time::timeout(self.settings.timeout, cmd.output()).await {
            Err(_) => {
                return Err(AdapterError::Timeout {
                    endpoint: what,
                    after: self.settings.timeout,
                })
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cli::Absent),
            Ok(Err(e)) => {
                return Err(AdapterError::Unsupported {
                    what: format!("{what} could not run: {e}"),
                })
            }
            Ok(Ok(out)) => out,
        };
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_owned();
            return Err(AdapterError::Unsupported {
                what: format!("{what} failed ({}): {line}", out.status),
            });
        }
        Ok(Cli::Output(
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    pub(super) fn file(&self, name: &str) -> Result<PathBuf, AdapterError> {
        self.data_dir().map(|d| d.join(name)).ok_or_else(|| AdapterError::Unsupported {
            what: format!("{}: ya-provider is not installed at `{}` and no data directory is known for {name}", self.node, self.settings.ya_provider.display()),
        })
    }

    /// The active hardware profile, from `ya-provider profile list/active` or `hardware.json`.
    pub async fn profile(&self) -> Result<ActiveProfile, AdapterError> {
        let p = match self.cli(&["profile", "active"]).await? {
            Cli::Output(active) => {
                let endpoint = "`ya-provider profile active`";
                let name: String = decode(endpoint, active.trim().as_bytes())?;
                let Cli::Output(list) = self.cli(&["profile", "list"]).await? else {
                    return Err(AdapterError::Unsupported {
                        what: "ya-provider disappeared between two calls".to_owned(),
                    });
                };
                let endpoint = "`ya-provider profile list`";
                let mut profiles: BTreeMap<String, HardwareProfile> =
                    decode(endpoint, list.trim().as_bytes())?;
                let resources = profiles
                    .remove(&name)
                    .ok_or_else(|| AdapterError::Malformed {
                        endpoint: endpoint.to_owned(),
                        what: format!("the active profile `{name}` is not listed"),
                    })?;
                check_profile(endpoint, &name, &resources)?;
                ActiveProfile {
                    name,
                    resources,
                    source: "cli".to_owned(),
                }
            }
            Cli::Absent => {
                let path = self.file("hardware.json")?;
                let (name, resources) = read_hardware_json(&path).await?;
                ActiveProfile {
                    name,
                    resources,
                    source: path.display().to_string(),
                }
            }
        };
        *self.last_profile.lock().unwrap_or_else(|e| e.into_inner()) = Some(p.resources.clone());
        Ok(p)
    }

    /// The active profile's storage in bytes: the last one read, else `hardware.json` read now
    /// (a few hundred bytes; `capabilities` cannot wait for the CLI).
    pub(super) fn held_storage(&self) -> Option<u64> {
        if let Some(p) = self
            .last_profile
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Some(super::normalize::gib_to_bytes(p.storage_gib));
        }
        let path = self.data_dir()?.join("hardware.json");
        if std::fs::metadata(&path).ok()?.len() > 1 << 20 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
        let gib = v["profiles"][v["active"].as_str()?]["storage_gib"].as_f64()?;
        Some(super::normalize::gib_to_bytes(gib))
    }

    /// The pricing presets, from `ya-provider --json preset list/active` or `presets.json`.
    pub async fn presets(&self) -> Result<Vec<Preset>, AdapterError> {
        match self.cli(&["--json", "preset", "list"]).await? {
            Cli::Output(list) => {
                let raw: Vec<RawPreset> =
                    decode("`ya-provider --json preset list`", list.trim().as_bytes())?;
                let active: Vec<String> = match self.cli(&["--json", "preset", "active"]).await? {
                    Cli::Output(a) => {
                        decode("`ya-provider --json preset active`", a.trim().as_bytes())?
                    }
                    Cli::Absent => Vec::new(),
                };
                normalize_presets("`ya-provider --json preset list`", raw, &active)
            }
            Cli::Absent => {
                let path = self.file("presets.json")?;
                let endpoint = path.display().to_string();
                let text = tokio::fs::read(&path)
                    .await
                    .map_err(|e| AdapterError::Unsupported {
                        what: format!("cannot read {endpoint}: {e}"),
                    })?;
                let v: serde_json::Value = decode(&endpoint, &text)?;
                if v.get("ver").and_then(|x| x.as_str()) != Some("V1") {
                    // V0 files (no `ver`) are converted by ya-provider itself; guessing their
                    // layout here would risk reading prices wrongly.
                    return Err(AdapterError::Malformed { endpoint, what: "field `ver`: only V1 presets files are read; run ya-provider once to convert".to_owned() });
                }
                #[derive(Deserialize)]
                struct V1 {
                    active: Vec<String>,
                    presets: Vec<RawPreset>,
                }
                let f: V1 = decode(&endpoint, &text)?;
                normalize_presets(&endpoint, f.presets, &f.active)
            }
        }
    }

    /// Sets the prices of `presets` (per hour, as golemsp takes them) through
    /// `ya-provider preset update`, or `presets.json` without the CLI, and reads them back.
    /// ya-provider re-publishes changed presets by itself; running activities keep their price.
    pub async fn update_preset_prices(
        &self,
        presets: &[&str],
        cpu_per_hour: &Money,
        env_per_hour: &Money,
        start_price: &Money,
    ) -> Result<Vec<Preset>, AdapterError> {
        for m in [cpu_per_hour, env_per_hour, start_price] {
            if m.token != Token::Glm || m.amount < 0 {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{}: a price must be a non-negative GLM amount, not {m}",
                        self.node
                    ),
                });
            }
        }
        let cpu = per_second_text(cpu_per_hour);
        let env = per_second_text(env_per_hour);
        let start = trim_decimal(&start_price.to_decimal_string());
        let mut args: Vec<String> =
            vec!["preset".into(), "update".into(), "--no-interactive".into()];
        for p in presets {
            args.extend(["--name".to_owned(), (*p).to_owned()]);
        }
        args.extend([
            "--pricing".to_owned(),
            "linear".to_owned(),
            "--price".to_owned(),
            format!("CPU={cpu}"),
            "--price".to_owned(),
            format!("Duration={env}"),
            "--price".to_owned(),
            format!("Init price={start}"),
        ]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Cli::Absent = self.cli(&argv).await? {
            let path = self.file("presets.json")?;
            edit_json(&path, |v| {
                let list = v
                    .get_mut("presets")
                    .and_then(|p| p.as_array_mut())
                    .ok_or("field `presets` is not a list")?;
                for p in list.iter_mut() {
                    if p.get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| presets.contains(&n))
                    {
                        p["pricing-model"] = "linear".into();
                        p["initial-price"] = json_number(&start)?;
                        let coeffs = p
                            .get_mut("usage-coeffs")
                            .and_then(|c| c.as_object_mut())
                            .ok_or("field `usage-coeffs` is not an object")?;
                        coeffs.insert("golem.usage.cpu_sec".into(), json_number(&cpu)?);
                        coeffs.insert("golem.usage.duration_sec".into(), json_number(&env)?);
                    }
                }
                Ok(())
            })
            .await?;
        }
        let all = self.presets().await?;
        Ok(all
            .into_iter()
            .filter(|p| presets.contains(&p.name.as_str()))
            .collect())
    }
}

/// GLM per hour → GLM per second as a decimal string (24 places, rounded half up).
pub(super) fn per_second_text(per_hour: &Money) -> String {
    let scaled = per_hour.rescale(24).map(|m| m.amount).unwrap_or(0);
    let per_second = (scaled + 1800) / 3600;
    trim_decimal(&Money::new(Token::Glm, per_second, 24).to_decimal_string())
}

pub(super) fn json_number(text: &str) -> Result<serde_json::Value, &'static str> {
    serde_json::from_str::<serde_json::Number>(text)
        .map(serde_json::Value::Number)
        .map_err(|_| "a price is not a JSON number")
}

pub(super) async fn read_hardware_json(
    path: &Path,
) -> Result<(String, HardwareProfile), AdapterError> {
    #[derive(Deserialize)]
    struct Hardware {
        active: String,
        profiles: BTreeMap<String, HardwareProfile>,
    }
    let endpoint = path.display().to_string();
    let text = tokio::fs::read(path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot read {endpoint}: {e}"),
        })?;
    let mut h: Hardware = decode(&endpoint, &text)?;
    let p = h
        .profiles
        .remove(&h.active)
        .ok_or_else(|| AdapterError::Malformed {
            endpoint: endpoint.clone(),
            what: format!(
                "field `active`: profile `{}` is not in `profiles`",
                h.active
            ),
        })?;
    check_profile(&endpoint, &format!("profiles.{}", h.active), &p)?;
    Ok((h.active, p))
}

/// Rewrites a ya-provider JSON file (no comments to lose) through a temporary file, so
/// ya-provider's file watcher never sees half a file.
pub(super) async fn edit_json(
    path: &Path,
    f: impl FnOnce(&mut serde_json::Value) -> Result<(), &'static str>,
) -> Result<(), AdapterError> {
    let endpoint = path.display().to_string();
    let text = tokio::fs::read(path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot read {endpoint}: {e}"),
        })?;
    let mut v: serde_json::Value = decode(&endpoint, &text)?;
    f(&mut v).map_err(|what| AdapterError::Malformed {
        endpoint: endpoint.clone(),
        what: what.to_owned(),
    })?;
    let out = serde_json::to_string_pretty(&v).map_err(|e| AdapterError::Malformed {
        endpoint: endpoint.clone(),
        what: e.to_string(),
    })?;
    let tmp = path.with_extension("json.orcha-tmp");
    tokio::fs::write(&tmp, out)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot write {}: {e}", tmp.display()),
        })?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot replace {endpoint}: {e}"),
        })
}

/// The profile's real maxima on this machine, each in whole steps: every logical CPU, all RAM,
/// and the free space of the partition holding ya-provider's data directory (the nearest
/// existing ancestor when it is not created yet). A part that cannot be read is `None`, never
/// a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileMax {
    pub cpu_millicores: Option<u64>,
    pub mem_bytes: Option<u64>,
    pub storage_bytes: Option<u64>,
}

impl ProfileMax {
    /// `held`: the storage the active profile gives the node now; its work directories live in
    /// it, so it counts as what the node holds (a maximum never takes space away by itself).
    pub fn read(data_dir: Option<&Path>, held: Option<u64>) -> ProfileMax {
        let machine = orcha_usage::MachineLimits::read().ok();
        let free = data_dir
            .and_then(|d| d.ancestors().find(|a| a.exists()).map(Path::to_path_buf))
            .and_then(|d| orcha_usage::bounds::free_bytes(&d).ok());
        let storage = match (free, held) {
            (Some(f), Some(h)) => Some(f.max(h)),
            (f, h) => f.or(h),
        };
        ProfileMax::from_machine(
            machine.map(|m| (m.logical_cpus, m.mem_total_bytes)),
            storage,
        )
    }

    /// From `(logical CPUs, RAM bytes)` and the data partition's free bytes.
    pub fn from_machine(machine: Option<(u32, u64)>, free: Option<u64>) -> ProfileMax {
        let down = |v: u64, step: u64| v - v % step;
        ProfileMax {
            cpu_millicores: machine.map(|(c, _)| u64::from(c) * 1000),
            mem_bytes: machine.map(|(_, m)| down(m, MIB)),
            storage_bytes: free.map(|f| down(f, GIB)),
        }
    }
}
