//! Alerts and their notification channels, including the channels' credentials.

use std::sync::Arc;

use orcha_core::secret::SecretKey;

use super::secrets::remove_secret;

use super::secrets::store_secret;
use crate::actor::Actor;
use crate::dto::convert::alert_dto;
use crate::dto::*;
use crate::state::AppState;

pub async fn alerts(state: &Arc<AppState>, q: AlertQuery) -> Result<Vec<AlertDto>, ApiError> {
    Ok(state
        .db(move |s| s.alerts(q.include_cleared, 500))
        .await?
        .into_iter()
        .map(alert_dto)
        .collect())
}

pub async fn acknowledge_alert(
    state: &Arc<AppState>,
    id: i64,
    actor: Actor,
) -> Result<(), ApiError> {
    let at = state.clock.now();
    let acked = state
        .db(move |s| {
            let acked = s.acknowledge_alert(id, at)?;
            if acked {
                let key = format!("alert:{id}");
                s.audit_config(at, actor.as_str(), &key, Some("open"), Some("acknowledged"))?;
            }
            Ok(acked)
        })
        .await?;
    if acked {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no unacknowledged alert with id {id}"
        )))
    }
}

/// Every alert channel: configured or not, last success and last error (never a credential).
pub async fn alert_channels(state: &Arc<AppState>) -> Result<Vec<AlertChannelDto>, ApiError> {
    Ok(crate::alerts::channel_status(state).await)
}

/// Sends a test alert to every configured channel and reports how each one did.
pub async fn send_test_alert(
    state: &Arc<AppState>,
    actor: Actor,
) -> Result<Vec<AlertChannelDto>, ApiError> {
    let at = state.clock.now();
    state
        .db(move |s| s.audit_config(at, actor.as_str(), "alerts.test", None, Some("sent")))
        .await?;
    Ok(crate::alerts::send_test(state).await?)
}

/// Channel credentials are named `alerts:<channel>/<kind>` (e.g. `alerts:telegram/token`).
fn alert_secret_key(key: &str) -> Result<SecretKey, ApiError> {
    crate::alerts::channels::secret_key(key).ok_or_else(|| {
        ApiError::bad_field(
            "key",
            format!(
                "`{key}` is not an alert channel credential (expected alerts:<{}>)",
                crate::alerts::channels::CHANNEL_SECRETS.join("|")
            ),
        )
    })
}

/// Stores an alert channel credential in the keyring; audited without its value.
pub async fn set_alert_secret(
    state: &Arc<AppState>,
    req: SetSecretRequest,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let k = alert_secret_key(&req.key)?;
    store_secret(state, req.key, k, req.value, actor).await
}

/// Removes an alert channel credential from the keyring; audited.
pub async fn delete_alert_secret(
    state: &Arc<AppState>,
    key: String,
    actor: Actor,
) -> Result<SecretStatusDto, ApiError> {
    let k = alert_secret_key(&key)?;
    remove_secret(state, key, k, actor).await
}
