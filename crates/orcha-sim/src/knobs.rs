//! The nodes' real knobs in the simulator's data dir: Storj `config.yaml`, Golem `hardware.json`
//! and a fake `ya-provider` script that edits the latter the way the real CLI does.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Paths of the knob files inside the data dir.
#[derive(Clone, Debug)]
pub struct KnobPaths {
    pub data_dir: PathBuf,
    pub storj_config: PathBuf,
    pub hardware_json: PathBuf,
    pub presets_json: PathBuf,
    pub globals_json: PathBuf,
    pub ya_provider: PathBuf,
}

impl KnobPaths {
    pub fn new(data_dir: &Path) -> Self {
        KnobPaths {
            data_dir: data_dir.to_owned(),
            storj_config: data_dir.join("storj").join("config.yaml"),
            hardware_json: data_dir.join("ya-provider").join("hardware.json"),
            presets_json: data_dir.join("ya-provider").join("presets.json"),
            globals_json: data_dir.join("ya-provider").join("globals.json"),
            ya_provider: data_dir.join("bin").join("ya-provider"),
        }
    }
}

/// Parses a storj `memory.Size` string ("2TB", "2.5 TB", "500GB", "1TiB", "123456") into bytes.
pub fn parse_memory_size(s: &str) -> Option<f64> {
    let s = s.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        "kib" => 1024.0,
        "mib" => 1024.0f64.powi(2),
        "gib" => 1024.0f64.powi(3),
        "tib" => 1024.0f64.powi(4),
        "pib" => 1024.0f64.powi(5),
        _ => return None,
    };
    let bytes = value * factor;
    bytes.is_finite().then_some(bytes)
}

/// What the Storj `config.yaml` says about the allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum StorjKnob {
    /// Allocated bytes.
    Allocated(f64),
    /// The file or the key is missing or unparsable; the node would refuse to start.
    Invalid(String),
}

/// Reads `storage.allocated-disk-space` from a config.yaml text (only the one key we need).
pub fn read_storj_allocation(text: &str) -> StorjKnob {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("storage.allocated-disk-space:") {
            return match parse_memory_size(rest) {
                Some(b) => StorjKnob::Allocated(b),
                None => StorjKnob::Invalid(format!(
                    "cannot parse storage.allocated-disk-space `{}`",
                    rest.trim()
                )),
            };
        }
    }
    StorjKnob::Invalid("storage.allocated-disk-space is missing".into())
}

/// The config.yaml the simulator writes at start.
pub fn storj_config_text(allocated_gb: f64) -> String {
    format!(
        "# storagenode configuration written by orcha-sim; the simulator reads\n\
         # storage.allocated-disk-space and treats a change as a node restart.\n\
         console.address: 127.0.0.1:14002\n\
         storage.allocated-disk-space: {:.2} GB\n\
         storage2.monitor.minimum-disk-space: 500.00 GB\n",
        allocated_gb
    )
}

/// One hardware profile (`ya-provider profile list` entry).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HardwareProfile {
    pub cpu_threads: u32,
    pub mem_gib: f64,
    pub storage_gib: f64,
}

/// `hardware.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HardwareFile {
    pub active: String,
    pub profiles: std::collections::BTreeMap<String, HardwareProfile>,
}

impl HardwareFile {
    pub fn single(profile: HardwareProfile) -> Self {
        HardwareFile {
            active: "default".into(),
            profiles: [("default".to_owned(), profile)].into(),
        }
    }

    pub fn active_profile(&self) -> Option<HardwareProfile> {
        self.profiles.get(&self.active).copied()
    }
}

/// Reads the active profile from hardware.json text; ya-provider caps it to at least 1 thread.
pub fn read_hardware(text: &str) -> Result<HardwareProfile, String> {
    let file: HardwareFile =
        serde_json::from_str(text).map_err(|e| format!("hardware.json is not valid: {e}"))?;
    let p = file.active_profile().ok_or_else(|| {
        format!(
            "hardware.json: active profile `{}` does not exist",
            file.active
        )
    })?;
    if !(p.mem_gib.is_finite() && p.storage_gib.is_finite()) {
        return Err("hardware.json: mem_gib and storage_gib must be numbers".into());
    }
    Ok(HardwareProfile {
        cpu_threads: p.cpu_threads.max(1),
        mem_gib: p.mem_gib.max(0.1),
        storage_gib: p.storage_gib.max(0.1),
    })
}

pub const PRESETS_JSON: &str = r#"{
  "ver": "V1",
  "active": ["vm", "wasmtime"],
  "presets": [
    {"name": "vm", "exeunit-name": "vm", "pricing-model": "linear", "initial-price": 0.0,
     "usage-coeffs": {"golem.usage.cpu_sec": 6.944444444444445e-06, "golem.usage.duration_sec": 1.388888888888889e-06}},
    {"name": "wasmtime", "exeunit-name": "wasmtime", "pricing-model": "linear", "initial-price": 0.0,
     "usage-coeffs": {"golem.usage.cpu_sec": 6.944444444444445e-06, "golem.usage.duration_sec": 1.388888888888889e-06}}
  ]
}
"#;

pub const GLOBALS_JSON: &str = r#"{
  "node_name": "orcha-sim",
  "subnet": "public",
  "account": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69"
}
"#;

/// The fake `ya-provider`: a POSIX shell script so it runs without the simulator's binary.
///
/// It supports the subcommands the app uses (`profile list|active|update`, `preset list|active`,
/// `config get`) with the real output shapes, and writes hardware.json atomically (temp file +
/// rename) so the simulator never reads half a file. It handles one profile, the active one.
pub fn ya_provider_script(data_dir: &Path) -> String {
    let dir = data_dir
        .join("ya-provider")
        .display()
        .to_string()
        .replace('\'', "'\\''");
    format!(
        r#"#!/bin/sh
# Fake ya-provider written by orcha-sim. It edits hardware.json in the simulator's data dir,
# which the simulated node reads, exactly as the real ya-provider's file monitor would.
# ORCHA_SIM_YA_DATA_DIR or --data-dir override the simulator's data dir.
DATA_DIR='{dir}'
[ -n "$ORCHA_SIM_YA_DATA_DIR" ] && DATA_DIR="$ORCHA_SIM_YA_DATA_DIR"
JSON=0
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON=1; shift ;;
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    --data-dir=*) DATA_DIR="${{1#--data-dir=}}"; shift ;;
    *) break ;;
  esac
done
HW="$DATA_DIR/hardware.json"
die() {{ echo "Error: $*" >&2; exit 1; }}
[ -f "$HW" ] || die "cannot read $HW"
field() {{ sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9.eE+-]*\).*/\1/p" "$HW" | head -n 1; }}
ACTIVE=$(sed -n 's/.*"active"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$HW" | head -n 1)
[ -n "$ACTIVE" ] || ACTIVE=default
CPU=$(field cpu_threads); MEM=$(field mem_gib); STO=$(field storage_gib)
print_profiles() {{
  printf '{{\n  "%s": {{\n    "cpu_threads": %s,\n    "mem_gib": %s,\n    "storage_gib": %s\n  }}\n}}\n' "$ACTIVE" "$CPU" "$MEM" "$STO"
}}
is_int() {{ case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }}
is_num() {{ case "$1" in ''|.|*[!0-9.]*|*.*.*) return 1 ;; *) return 0 ;; esac; }}
cmd="$1 $2"
[ $# -ge 2 ] && shift 2 || shift $#
case "$cmd" in
  "profile list") print_profiles ;;
  "profile active") printf '"%s"\n' "$ACTIVE" ;;
  "profile update")
    CHANGED=0
    while [ $# -gt 0 ]; do
      case "$1" in
        --name) [ "$2" = "$ACTIVE" ] || die "profile '$2' does not exist (the simulator has one profile, '$ACTIVE')"; shift 2 ;;
        --all) shift ;;
        --cpu-threads) is_int "$2" || die "invalid value '$2' for '--cpu-threads <cpu-threads>'"; CPU="$2"; CHANGED=1; shift 2 ;;
        --mem-gib) is_num "$2" || die "invalid value '$2' for '--mem-gib <mem-gib>'"; MEM="$2"; CHANGED=1; shift 2 ;;
        --storage-gib) is_num "$2" || die "invalid value '$2' for '--storage-gib <storage-gib>'"; STO="$2"; CHANGED=1; shift 2 ;;
        *) die "unexpected argument '$1'" ;;
      esac
    done
    [ "$CHANGED" = 1 ] || die "at least one of --cpu-threads, --mem-gib, --storage-gib is required"
    [ "$CPU" -ge 1 ] 2>/dev/null || CPU=1
    TMP="$HW.tmp.$$"
    printf '{{\n  "active": "%s",\n  "profiles": {{\n    "%s": {{\n      "cpu_threads": %s,\n      "mem_gib": %s,\n      "storage_gib": %s\n    }}\n  }}\n}}\n' \
      "$ACTIVE" "$ACTIVE" "$CPU" "$MEM" "$STO" > "$TMP" && mv "$TMP" "$HW" || die "cannot write $HW"
    ;;
  "preset list")
    if [ "$JSON" = 1 ]; then
      sed -n '/"presets"/,$p' "$DATA_DIR/presets.json" | sed '1s/.*"presets"[^[]*//' | sed '$d'
    else
      printf 'Available Presets:\n\nName:               vm\nExeUnit:            vm\nPricing model:      linear\nCoefficients:\n    CPU             0.000006944444444444445 GLM\n    Duration        0.000001388888888888889 GLM\n\n\nName:               wasmtime\nExeUnit:            wasmtime\nPricing model:      linear\nCoefficients:\n    CPU             0.000006944444444444445 GLM\n    Duration        0.000001388888888888889 GLM\n\n'
    fi ;;
  "preset active") printf '[\n  "vm",\n  "wasmtime"\n]\n' ;;
  "config get") cat "$DATA_DIR/globals.json" ;;
  *) echo "error: unsupported command '$cmd' (orcha-sim fake ya-provider)" >&2; exit 2 ;;
esac
"#
    )
}

/// Writes every knob file and the script; existing files are overwritten (a fresh run).
pub fn write_all(
    paths: &KnobPaths,
    storj_gb: f64,
    profile: HardwareProfile,
) -> std::io::Result<()> {
    for dir in [
        &paths.storj_config,
        &paths.hardware_json,
        &paths.ya_provider,
    ] {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
    }
    std::fs::write(&paths.storj_config, storj_config_text(storj_gb))?;
    let hw = serde_json::to_string_pretty(&HardwareFile::single(profile))
        .map_err(std::io::Error::other)?;
    std::fs::write(&paths.hardware_json, hw + "\n")?;
    std::fs::write(&paths.presets_json, PRESETS_JSON)?;
    std::fs::write(&paths.globals_json, GLOBALS_JSON)?;
    std::fs::write(&paths.ya_provider, ya_provider_script(&paths.data_dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&paths.ya_provider, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_like_storj() {
        assert_eq!(parse_memory_size("2TB"), Some(2e12));
        assert_eq!(parse_memory_size("2.5 TB"), Some(2.5e12));
        assert_eq!(parse_memory_size("500gb"), Some(5e11));
        assert_eq!(parse_memory_size("1TiB"), Some(1024f64.powi(4)));
        assert_eq!(parse_memory_size("\"123\""), Some(123.0));
        assert_eq!(parse_memory_size("lots"), None);
        assert_eq!(parse_memory_size("2 XB"), None);
    }

    #[test]
    fn config_yaml_round_trips_and_rejects_garbage() {
        assert_eq!(
            read_storj_allocation(&storj_config_text(1500.0)),
            StorjKnob::Allocated(1.5e12)
        );
        assert!(matches!(
            read_storj_allocation("storage.allocated-disk-space: many"),
            StorjKnob::Invalid(_)
        ));
        assert!(matches!(read_storj_allocation(""), StorjKnob::Invalid(_)));
        assert_eq!(
            read_storj_allocation(
                "# storage.allocated-disk-space: 9TB\nstorage.allocated-disk-space: 3TB # x"
            ),
            StorjKnob::Allocated(3e12)
        );
    }

    #[test]
    fn hardware_json_reads_the_active_profile() {
        let text = r#"{"active":"default","profiles":{"default":{"cpu_threads":0,"mem_gib":1.0,"storage_gib":2.0}}}"#;
        assert_eq!(read_hardware(text).unwrap().cpu_threads, 1);
        assert!(read_hardware("{").is_err());
        assert!(read_hardware(r#"{"active":"x","profiles":{}}"#).is_err());
    }
}
