//! Node credentials in the OS keyring: status, set and delete, each audited without its value.

use std::sync::Arc;

use orcha_core::secret::SecretKey;
use orcha_core::secret::Sensitive;
use orcha_core::NodeId;

use crate::actor::Actor;
use crate::dto::*;
use crate::state::AppState;

/// Credentials are named `<node id>/<kind>`; only kinds Orcha uses are accepted.
const SECRET_KINDS: [&str; 4] = ["app_key", "token", "api_key", "info_key"];

pub(super) fn secret_key(state: &AppState, key: &str) -> Result<SecretKey, ApiError> {
    // The price feed's CoinGecko key belongs to no node.
    // So is the passphrase of the scheduled backups.
    if key == crate::prices::SECRET_KEY || key == orcha_core::config::BACKUP_PASSPHRASE_KEY {
        return Ok(SecretKey(key.to_owned()));
    }
    let (node, kind) = key.split_once('/').ok_or_else(|| {
        ApiError::bad_field(
            "key",
            format!("`{key}` must look like `<protocol>:<name>/<kind>`"),
        )
    })?;
    node.parse::<NodeId>()
        .map_err(|e| ApiError::bad_field("key", e.to_string()))?;
    if !SECRET_KINDS.contains(&kind) {
        return Err(ApiError::bad_field(
            "key",
            format!(
                "unknown credential kind `{kind}` (expected one of {})",
                SECRET_KINDS.join(", ")
            ),
        ));
    }
    let _ = state;
    Ok(SecretKey(key.to_owned()))
}

pub async fn secret_status(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    let secrets = Arc::clone(&state.secrets);
    let stored = tokio::task::spawn_blocking(move || secrets.get(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
        .is_some();
    Ok(SecretStatusDto { key, stored })
}

pub async fn set_secret(
    state: &Arc<AppState>,
    req: SetSecretRequest,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &req.key)?;
    store_secret(state, req.key, k, req.value, actor).await
}

/// Checks a credential, writes it to the keyring and audits that it changed (never its value).
pub(super) async fn store_secret(
    state: &Arc<AppState>,
    key: String,
    k: SecretKey,
    value: String,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(ApiError::bad_field("value", "the credential is empty"));
    }
    if value.len() > 4096 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_field(
            "value",
            "the credential must be at most 4096 printable characters",
        ));
    }
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.set(&k, Sensitive::new(value)))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let (at, audit_key) = (state.clock.now(), format!("secret:{key}"));
    state
        .db(move |s| s.audit_config(at, actor.as_str(), &audit_key, None, Some("<stored>")))
        .await?;
    Ok(SecretStatusDto { key, stored: true })
}

/// Removes a credential from the keyring and audits it.
pub(super) async fn remove_secret(
    state: &Arc<AppState>,
    key: String,
    k: SecretKey,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.delete(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let (at, audit_key) = (state.clock.now(), format!("secret:{key}"));
    state
        .db(move |s| s.audit_config(at, actor.as_str(), &audit_key, Some("<stored>"), None))
        .await?;
    Ok(SecretStatusDto { key, stored: false })
}

pub async fn delete_secret(
    state: &Arc<AppState>,
    key: String,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    remove_secret(state, key, k, actor).await
}
