//! Grass health: whether the app runs here and whether each device connects and earns.

use orcha_core::HealthStatus;

use super::GrassAdapter;

impl GrassAdapter {
    /// Every reason the account is not healthy: the app not running, no devices, devices not earning.
    pub(super) async fn health(&self) -> HealthStatus {
        let s = match self.snapshot().await {
            Ok(s) => s,
            Err(e) => return e.as_health(),
        };
        let mut reasons = Vec::new();
        if self
            .settings
            .process
            .is_running(self.settings.timeout)
            .await
            == Some(false)
        {
            reasons.push(format!(
                "the Grass app is not running on this machine ({} found): it earns nothing until it is started",
                self.settings.process.describe()
            ));
        }
        if s.devices.is_empty() {
            reasons.push("no device of this account is connected in the current epoch".to_owned());
        }
        let stale = chrono::Duration::from_std(self.settings.device_stale_after)
            .unwrap_or(chrono::Duration::MAX);
        for d in &s.devices {
            let name = format!(
                "device {} ({})",
                d.device_id.as_deref().unwrap_or("?"),
                d.ip_address.as_deref().unwrap_or("IP unknown")
            );
            if !d.earning {
                reasons.push(format!("{name} has network score 0: its IP is not accepted (datacenter, VPN or shared IP?) and it earns nothing"));
            }
            if let Some(t) = d.last_connected_at.filter(|t| s.observed_at - *t > stale) {
                reasons.push(format!("{name} last connected at {}", t.to_rfc3339()));
            }
        }
        if reasons.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded(reasons)
        }
    }
}
