//! Settings: show the editable settings, check a change, and write it into the config file.
//!
//! A save edits the file with `toml_edit`, so the operator's comments, key order and formatting
//! survive, and it writes only the keys whose value changed. The new text is parsed by the real
//! config parser before it replaces the file (temporary file + rename), so a save never leaves a
//! file Orcha would refuse at its next start. The running orchestrator keeps the config it
//! started with: per-protocol auto-apply has a live switch (`AppState::allocation`), the backup
//! interval and retention a live schedule (`AppState::backup_schedule`); every other change waits
//! for a restart, and the answer says which is which.
//!
//! Demo mode has no operator file (the demo derives its nodes from the simulator), so saves go
//! to a scratch file under the demo's data directory that nothing reads and that is removed when
//! the demo starts again; the checks are the same, which keeps the settings screen usable.

mod checks;
mod file;
mod redacted;
#[cfg(test)]
mod tests;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use orcha_core::secret::SecretKey;

use crate::actor::Actor;
use crate::dto::*;
pub use crate::settings_file::SettingsFile;
use crate::state::AppState;
use checks::*;
use file::*;
pub use values::values_of;
use values::*;

/// The backup fields the scheduled backups pick up while running.
fn is_backup_schedule(field: &str) -> bool {
    field == "backup.interval_hours" || field == "backup.retention"
}

/// Whether a field takes effect without a restart: auto-apply has a live switch, used when the
/// protocol has running nodes; the backup schedule is followed by the running task.
fn is_live(state: &AppState, field: &str) -> bool {
    is_backup_schedule(field)
        || field
            .strip_prefix("protocols.")
            .and_then(|r| r.strip_suffix(".auto_apply"))
            .is_some_and(|p| {
                state
                    .nodes
                    .iter()
                    .any(|n| n.config.id.protocol().as_str() == p)
            })
}

/// Fields whose value differs between two sets of settings (present in only one counts).
fn differing(a: &BTreeMap<String, Entry>, b: &BTreeMap<String, Entry>) -> BTreeSet<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| get(a, k) != get(b, k))
        .cloned()
        .collect()
}

/// Saved fields the running app does not use yet.
fn pending(state: &AppState, saved: Option<&SettingsValuesDto>) -> Vec<String> {
    let Some(saved) = saved else {
        return Vec::new();
    };
    differing(&flatten(saved), &flatten(&values_of(&state.config)))
        .into_iter()
        .filter(|f| !is_live(state, f))
        .collect()
}

/// True when saved settings wait for a restart (shown in the status).
pub fn restart_required(state: &AppState) -> bool {
    let saved = state.settings.lock().saved.clone();
    !pending(state, saved.as_ref()).is_empty()
}

/// The settings with their real values (URL keys included); only for saving.
fn real_values(state: &AppState) -> SettingsValuesDto {
    let saved = state.settings.lock().saved.clone();
    saved.unwrap_or_else(|| values_of(&state.config))
}

fn settings_dto(state: &AppState) -> SettingsDto {
    let (path, scratch, saved) = {
        let s = state.settings.lock();
        (s.path.clone(), s.scratch, s.saved.clone())
    };
    SettingsDto {
        restart_required: pending(state, saved.as_ref()),
        values: redacted::hide(saved.unwrap_or_else(|| values_of(&state.config))),
        file: path.map(|p| p.display().to_string()),
        scratch,
    }
}

/// The editable settings as saved, and which of them wait for a restart.
// Every operation is async so both front doors wrap them the same way.
#[allow(clippy::unused_async)]
pub async fn settings(state: &Arc<AppState>) -> Result<SettingsDto, ApiError> {
    Ok(settings_dto(state))
}

/// Checks the settings, writes the changed ones into the config file, switches auto-apply live
/// and says which changes wait for a restart. Nothing is written when a check fails.
pub async fn update_settings(
    state: &Arc<AppState>,
    mut req: SettingsValuesDto,
    actor: Actor,
) -> Result<SettingsSavedDto, ApiError> {
    let _saving = state.settings.save.lock().await;
    let shown = real_values(state);
    redacted::restore(&mut req, &shown);
    let before = flatten(&shown);
    let after = flatten(&req);
    // Nodes are added, removed and renamed in the file only; the form edits what is there.
    if let Some(odd) = before
        .keys()
        .chain(after.keys())
        .find(|k| before.contains_key(*k) != after.contains_key(*k))
    {
        let field = if after.contains_key(odd) {
            odd.clone()
        } else {
            odd.split('.').take(2).collect::<Vec<_>>().join(".")
        };
        return Err(ApiError::bad_field(
            &field,
            format!("`{odd}` does not match the configured settings; nodes are added, removed and renamed in the config file. Reload the settings."),
        ));
    }
    let changed = differing(&before, &after);
    validate(&changed, &after)?;
    // Checked above: both are in range.
    let schedule = crate::backups::Schedule {
        interval_hours: u64::try_from(req.backup.interval_hours).unwrap_or(0),
        retention: u32::try_from(req.backup.retention).unwrap_or(1),
    };
    check_required_secrets(state, &changed, &after).await?;
    if changed.is_empty() {
        return Ok(SettingsSavedDto {
            changed: Vec::new(),
            applied_live: Vec::new(),
            needs_restart: Vec::new(),
            settings: settings_dto(state),
        });
    }
    let (path, scratch) = {
        let s = state.settings.lock();
        (s.path.clone(), s.scratch)
    };
    let path = path.ok_or_else(|| {
        conflict("this Orcha was started without a configuration file to save to")
    })?;

    let file_path = path.clone();
    // Where each value goes comes from the settings shown; the value from the request.
    let writes: Vec<(String, Entry)> = changed
        .iter()
        .filter_map(|f| {
            let entry = Entry {
                place: before.get(f)?.place.clone(),
                value: get(&after, f)?.clone(),
            };
            Some((f.clone(), entry))
        })
        .collect();
    let written = tokio::task::spawn_blocking(move || save_file(&file_path, &writes))
        .await
        .map_err(ApiError::internal)??;

    // The operator's file may hold hand edits made since the start; what it now says is the
    // truth. The demo's scratch file holds only the changes, so there the request is.
    // Credentials follow the saved endpoints: one entered from now on is bound to the new host,
    // and the old one is not sent there.
    state
        .credentials
        .set_endpoints(crate::bound_secrets::endpoints_of(&written));
    let saved = if scratch { req } else { values_of(&written) };
    state.settings.lock().saved = Some(saved);

    let mut applied_live: Vec<String> = changed
        .iter()
        .filter(|f| is_backup_schedule(f))
        .cloned()
        .collect();
    if !applied_live.is_empty() {
        state.backup_schedule.send_replace(schedule);
    }
    for field in &changed {
        if !is_live(state, field) {
            continue;
        }
        let Some(Setting::Bool(on)) = get(&after, field) else {
            // Not a switch: applied above (the backup schedule).
            continue;
        };
        let protocol = field
            .trim_start_matches("protocols.")
            .trim_end_matches(".auto_apply");
        for n in &state.nodes {
            let id = &n.config.id;
            // A node with its own `allocation.nodes` switch keeps it, as it will after a restart.
            let own = state
                .config
                .allocation
                .nodes
                .get(&id.to_string())
                .and_then(|e| e.auto_apply)
                .is_some();
            if id.protocol().as_str() == protocol && !own {
                // The allocation screen's switch: audited, so it also holds after a restart.
                super::set_auto_apply(
                    state,
                    AutoApplyRequest {
                        node: id.to_string(),
                        enabled: *on,
                    },
                    actor,
                )
                .await?;
            }
        }
        applied_live.push(field.clone());
    }

    let at = state.clock.now();
    let audit: Vec<(String, String, String)> = changed
        .iter()
        .map(|f| {
            // URL keys never reach the audit log.
            let show =
                |m: &BTreeMap<String, Entry>| get(m, f).map(|v| crate::redact::text(&v.display()));
            (
                format!("settings:{f}"),
                show(&before).unwrap_or_default(),
                show(&after).unwrap_or_default(),
            )
        })
        .collect();
    state
        .db(move |s| {
            for (k, old, new) in &audit {
                s.audit_config(at, actor.as_str(), k, Some(old), Some(new))?;
            }
            Ok(())
        })
        .await?;
    tracing::info!(file = %path.display(), changed = changed.len(), "Settings saved.");

    let needs_restart = changed
        .iter()
        .filter(|f| !applied_live.contains(f))
        .cloned()
        .collect();
    Ok(SettingsSavedDto {
        changed: changed.into_iter().collect(),
        applied_live,
        needs_restart,
        settings: settings_dto(state),
    })
}

/// Whether an alert channel credential (`alerts:<channel>/<kind>`) is stored in the keyring.
pub async fn alert_secret_status(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k: SecretKey = crate::alerts::channels::secret_key(&key).ok_or_else(|| {
        ApiError::bad_field("key", format!("`{key}` is not an alert channel credential"))
    })?;
    let secrets = Arc::clone(&state.secrets);
    let stored = tokio::task::spawn_blocking(move || secrets.get(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
        .is_some();
    Ok(SecretStatusDto { key, stored })
}
