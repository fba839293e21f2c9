//! Editing the config file: `toml_edit` changes that keep the operator's comments and layout,
//! proved to load with the real parser before the file is replaced atomically.

use std::path::Path;

use orcha_core::atomic_file::write_atomically;
use orcha_core::config::Config;
use toml_edit::{DocumentMut, InlineTable, Item, Table};

use super::values::{Entry, Place, Setting};
use crate::dto::*;

pub(super) fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
}

/// Descends into (or creates) the table at `path`, keeping inline tables inline.
pub(super) fn table_at<'a>(
    doc: &'a mut DocumentMut,
    path: &[String],
) -> Result<&'a mut dyn toml_edit::TableLike, String> {
    let mut item: &mut Item = doc.as_item_mut();
    for (depth, name) in path.iter().enumerate() {
        let inline = item.is_inline_table();
        let table = item
            .as_table_like_mut()
            .ok_or_else(|| format!("`{}` is not a table", path[..depth].join(".")))?;
        if table.get(name).is_none() {
            let fresh = if inline {
                Item::Value(toml_edit::Value::InlineTable(InlineTable::new()))
            } else {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            };
            table.insert(name, fresh);
        }
        item = table
            .get_mut(name)
            .ok_or_else(|| format!("`{}` could not be created", path[..=depth].join(".")))?;
    }
    item.as_table_like_mut()
        .ok_or_else(|| format!("`{}` is not a table", path.join(".")))
}

/// Sets `key` in `table`, keeping the comment after an existing value.
pub(super) fn set_key(
    table: &mut dyn toml_edit::TableLike,
    key: &str,
    value: &Setting,
) -> Result<(), String> {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = value.toml();
            *old.decor_mut() = decor;
            Ok(())
        }
        Some(_) => Err(format!("`{key}` is not a plain value")),
        None => {
            table.insert(key, Item::Value(value.toml()));
            Ok(())
        }
    }
}

/// Sets the `api_endpoint` of the extra node `name` in `protocols.<protocol>.nodes`, written
/// either as `[[protocols.<protocol>.nodes]]` tables or as an inline array.
pub(super) fn set_extra_endpoint(
    doc: &mut DocumentMut,
    protocol: &str,
    name: &str,
    value: &Setting,
) -> Result<(), String> {
    let missing = || format!("node `{protocol}:{name}` is not in the file any more");
    let table = table_at(doc, &["protocols".to_owned(), protocol.to_owned()])?;
    let nodes = table.get_mut("nodes").ok_or_else(missing)?;
    let has_name = |n: Option<&str>| n == Some(name);
    if let Some(aot) = nodes.as_array_of_tables_mut() {
        let t = aot
            .iter_mut()
            .find(|t| has_name(t.get("name").and_then(Item::as_str)))
            .ok_or_else(missing)?;
        return set_key(t, "api_endpoint", value);
    }
    if let Some(array) = nodes.as_array_mut() {
        let t = array
            .iter_mut()
            .filter_map(toml_edit::Value::as_inline_table_mut)
            .find(|t| has_name(t.get("name").and_then(toml_edit::Value::as_str)))
            .ok_or_else(missing)?;
        return set_key(t, "api_endpoint", value);
    }
    Err(missing())
}

/// Edits `text` with the changed entries and returns the new text.
pub(super) fn edit(text: &str, changes: &[(String, Entry)]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!(
            "it is not valid TOML any more ({})",
            e.message().lines().next().unwrap_or("")
        )
    })?;
    for (field, entry) in changes {
        let value = &entry.value;
        let r = match &entry.place {
            Place::Key(path, key) => table_at(&mut doc, path).and_then(|t| set_key(t, key, value)),
            Place::ExtraNode { protocol, name } => {
                set_extra_endpoint(&mut doc, protocol, name, value)
            }
        };
        r.map_err(|e| format!("cannot write `{field}`: {e}"))?;
    }
    Ok(doc.to_string())
}

/// Reads the file, applies the changes, proves the result loads, and replaces the file.
/// Returns the configuration the new file holds.
pub(super) fn save_file(path: &Path, changes: &[(String, Entry)]) -> Result<Config, ApiError> {
    let text = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(conflict(format!(
                "{} is not a regular file, so settings cannot be saved to it; start Orcha with --config <file> (or CONFIG_PATH) to save settings",
                path.display()
            )))
        }
        Ok(_) => std::fs::read_to_string(path)
            .map_err(|e| conflict(format!("cannot read {}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(conflict(format!("cannot read {}: {e}", path.display()))),
    };
    let new_text = edit(&text, changes)
        .map_err(|e| conflict(format!("cannot edit {}: {e}", path.display())))?;
    // The same parser the next start uses: a file it would refuse is never written.
    let config = Config::from_toml(&new_text, path).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the settings were not saved because the file would not load: {e}"),
        )
    })?;
    // A new file gets owner-only permissions: it may name hosts and accounts of the operator.
    write_atomically(path, new_text.as_bytes(), 0o600)
        .map_err(|e| conflict(format!("cannot write {}: {e}", path.display())))?;
    Ok(config)
}
