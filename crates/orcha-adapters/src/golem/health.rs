//! Golem health: yagna's version and identity, published offers, the payment driver, overdue invoices and activities.

use orcha_core::HealthStatus;

use super::GolemAdapter;

impl GolemAdapter {
    /// Every reason the provider is not healthy, from yagna's own answers.
    pub(super) async fn health(&self) -> HealthStatus {
        if let Err(e) = self.version().await {
            return e.as_health();
        }
        if let Err(e) = self.identity().await {
            return e.as_health();
        }
        let mut reasons = Vec::new();
        match self.offer_count().await {
            Ok(0) => reasons.push("ya-provider publishes no offers: it is not running or not configured, so no jobs can arrive".to_owned()),
            Ok(_) => {}
            Err(e) => reasons.push(format!("offers could not be read: {e}")),
        }
        match self.payment_driver_reasons().await {
            Ok(r) => reasons.extend(r),
            Err(e) => reasons.push(format!("payment driver status could not be read: {e}")),
        }
        match self.earnings().await {
            Ok(e) if e.overdue_invoices > 0 => reasons.push(format!(
                "{} invoices are past their payment due date without being settled: the requestor is not paying",
                e.overdue_invoices
            )),
            Ok(_) => {}
            Err(e) => reasons.push(format!("invoices could not be read: {e}")),
        }
        match self.activities().await {
            Ok(s) if s.unresponsive > 0 => {
                reasons.push(format!("{} activities are unresponsive", s.unresponsive))
            }
            Ok(_) => {}
            Err(e) => reasons.push(format!("activities could not be read: {e}")),
        }
        if reasons.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded(reasons)
        }
    }
}
