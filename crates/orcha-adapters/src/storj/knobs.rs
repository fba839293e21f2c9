//! Storj knobs: the disk allocation in `config.yaml`, edited as text so comments and order survive.

use std::path::{Path, PathBuf};

use orcha_core::AdapterError;

use super::{StorjAdapter, KEY};

impl StorjAdapter {
    pub(super) fn config_yaml(&self) -> Result<&Path, AdapterError> {
        self.settings.config_yaml.as_deref().ok_or_else(|| AdapterError::Unsupported {
            what: format!("{}: no config.yaml is configured (protocols.storj.config_yaml), so the disk allocation cannot be changed", self.node),
        })
    }
}

/// Where the node keeps its pieces: `storage.path` of its config.yaml when that exists on this
/// machine, else `storage` next to the config (a Docker node's `/app/config/storage` is the
/// host's `<config dir>/storage`), else the config's directory.
pub fn storage_path(config_yaml: &Path, text: &str) -> PathBuf {
    let dir = config_yaml.parent().unwrap_or(Path::new("."));
    let configured = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| {
            let rest = l.trim_start().strip_prefix("storage.path")?;
            let v = rest.trim_start().strip_prefix(':')?;
            let v = v.split(" #").next().unwrap_or(v);
            Some(PathBuf::from(
                v.trim().trim_matches(|c| c == '"' || c == '\''),
            ))
        })
        .filter(|p| !p.as_os_str().is_empty());
    configured
        .into_iter()
        .chain([dir.join("storage"), dir.to_path_buf()])
        .find(|p| p.exists())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// The largest allocation in whole steps: what is free where the node stores plus what it
/// already holds there (its own pieces stay its own).
pub fn machine_disk_max(free: u64, holds: u64, step: u64) -> u64 {
    let total = free.saturating_add(holds);
    total - total % step.max(1)
}

/// The disk maximum of the node configured in `config_yaml` holding `used` bytes, read from the
/// filesystem now; `Err` says why it is unknown.
pub fn disk_max(config_yaml: &Path, used: u64, step: u64) -> Result<(u64, PathBuf), String> {
    let text = std::fs::read_to_string(config_yaml)
        .map_err(|e| format!("cannot read {}: {e}", config_yaml.display()))?;
    let path = storage_path(config_yaml, &text);
    let free = orcha_usage::bounds::free_bytes(&path).map_err(|e| e.to_string())?;
    Ok((machine_disk_max(free, used, step), path))
}

// config.yaml: edited as text so comments, order and every other key survive.

pub(super) fn file_error(path: &Path, what: &str, e: &std::io::Error) -> AdapterError {
    AdapterError::Unsupported {
        what: format!("cannot {what} {}: {e}", path.display()),
    }
}

/// The value part of a `storage.allocated-disk-space:` line, without quotes or a trailing comment.
pub(super) fn value_of(line: &str) -> Option<&str> {
    let rest = line
        .trim_start()
        .strip_prefix(KEY)?
        .trim_start()
        .strip_prefix(':')?;
    let rest = match rest.find(" #") {
        Some(i) => &rest[..i],
        None => rest,
    };
    Some(rest.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// The configured allocation, or `None` when the key is absent or only commented out.
pub fn read_allocated_disk_space(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(value_of)
        .map(str::to_owned)
}

/// Replaces the value on the (uncommented) key's line, keeping its indentation and any trailing
/// comment, or appends the key when the file does not set it. Line endings are kept.
pub fn set_allocated_disk_space(text: &str, value: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut done = false;
    let mut out: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if !done && !body.trim_start().starts_with('#') && value_of(body).is_some() {
            let indent = &body[..body.len() - body.trim_start().len()];
            let comment = body.find(" #").map(|i| &body[i..]).unwrap_or("");
            out.push(format!("{indent}{KEY}: {value}{comment}{ending}"));
            done = true;
        } else {
            out.push(line.to_owned());
        }
    }
    let mut s = out.concat();
    if !done {
        if !s.is_empty() && !s.ends_with('\n') {
            s.push_str(newline);
        }
        s.push_str(&format!("{KEY}: {value}{newline}"));
    }
    s
}

/// Whole terabytes or whole gigabytes, the way Storj's own config writes sizes.
pub fn format_size(bytes: u64) -> String {
    if bytes.is_multiple_of(1_000_000_000_000) {
        format!("{}.00 TB", bytes / 1_000_000_000_000)
    } else if bytes.is_multiple_of(1_000_000_000) {
        format!("{}.00 GB", bytes / 1_000_000_000)
    } else {
        format!("{bytes} B")
    }
}

/// Parses a Storj `memory.Size` ("1.00 TB", "2.5TB", "931GiB", "500000000000"), exactly.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim().to_ascii_uppercase());
    let mult: u128 = match unit.as_str() {
        "" | "B" => 1,
        "KB" | "K" => 1_000,
        "MB" | "M" => 1_000_000,
        "GB" | "G" => 1_000_000_000,
        "TB" | "T" => 1_000_000_000_000,
        "PB" | "P" => 1_000_000_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        "TIB" => 1 << 40,
        "PIB" => 1 << 50,
        _ => return None,
    };
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let int: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let frac: u128 = if frac_part.is_empty() {
        0
    } else {
        frac_part.parse().ok()?
    };
    let scale = 10u128.checked_pow(u32::try_from(frac_part.len()).ok()?)?;
    let bytes = int
        .checked_mul(mult)?
        .checked_add(frac.checked_mul(mult)? / scale)?;
    u64::try_from(bytes).ok()
}
