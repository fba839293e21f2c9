//! Streamr knobs: the `info` plugin entry Orcha offers to add to the node config (the operator applies it).

use serde_json::{json, Value};

/// Adds `"info": {}` under `plugins` of a node config (JSON text) and returns the new text, for
/// the operator to review, save and restart the node with. Orcha never writes it itself.
/// An existing `info` entry is kept as it is.
pub fn enable_info_plugin(config_json: &str) -> Result<String, String> {
    let mut v: Value = serde_json::from_str(config_json)
        .map_err(|e| format!("the node config is not valid JSON: {e}"))?;
    let root = v
        .as_object_mut()
        .ok_or("the node config is not a JSON object")?;
    let plugins = root
        .entry("plugins")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("`plugins` in the node config is not an object")?;
    plugins.entry("info").or_insert_with(|| json!({}));
    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())
}
