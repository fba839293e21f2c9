//! What the operating system measured for each node, and the nodes found on this machine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the OS measured for a node on its newest poll, per resource against its allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MeasuredUsageDto {
    pub at: DateTime<Utc>,
    /// What was measured: `process storagenode`, `unit storagenode.service`, `container storj`.
    pub target: String,
    /// The process, unit or container was found.
    pub running: bool,
    /// The pids counted (empty for a container).
    pub pids: Vec<i32>,
    pub resources: Vec<MeasuredResourceDto>,
    /// Why the target or a part of it could not be read.
    pub problems: Vec<String>,
}

/// One measured value in the domain's unit, with where it was read and what it is held to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MeasuredResourceDto {
    /// The series name in the store: `measured.cpu_millicores`, `measured.mem_bytes`, …
    pub metric: String,
    /// `cpu`, `memory`, `disk` or `bandwidth` when the value is an allocated resource.
    pub resource: Option<String>,
    pub value: f64,
    /// `process`, `cgroup`, `docker`, `netns`, `tc` or `filesystem`.
    pub source: String,
    /// The amount in force for the node, in the resource's base unit (decimal string).
    pub allocated: Option<String>,
    /// What this machine can give the node (decimal string): logical CPUs, RAM, free disk at
    /// its storage path plus what it holds.
    pub machine_max: Option<String>,
}

/// The TypeScript declarations of this module's DTOs.
pub fn usage_typescript_decls() -> Vec<String> {
    vec![
        MeasuredResourceDto::decl(),
        MeasuredUsageDto::decl(),
        DetectedNodeDto::decl(),
        DetectionDto::decl(),
    ]
}

/// A node found on this machine that Orcha could watch; nothing is saved until the operator
/// accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct DetectedNodeDto {
    /// The proposed node id, `<protocol>:<name>`.
    pub id: String,
    pub protocol: String,
    pub name: String,
    /// The node's local API, when one answered or its config names one.
    pub endpoint: Option<String>,
    /// Where its usage would be measured (`process storagenode`, `unit …`, `container …`).
    pub target: Option<String>,
    /// The `[usage.nodes]` keys that would be written: one of these is set.
    pub process: Option<String>,
    pub unit: Option<String>,
    pub container: Option<String>,
    pub storage_path: Option<String>,
    /// Storj's `config.yaml`, for the allocated-disk knob.
    pub config_yaml: Option<String>,
    /// What the proposal rests on, in words (`port 14002 answers (pid 812)`, …).
    pub evidence: Vec<String>,
    /// A configured node already has this id or endpoint.
    pub already_configured: bool,
    /// The credential the node needs and how to provide it; detection never reads one unasked.
    pub credential_hint: Option<String>,
}

/// What detection found, and what it could not look at (no Docker, no systemd, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct DetectionDto {
    pub nodes: Vec<DetectedNodeDto>,
    pub notes: Vec<String>,
    /// The proposal as config-file TOML, for the operator to read or paste.
    pub config_toml: String,
}
