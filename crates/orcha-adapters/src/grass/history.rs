//! Grass's past epochs (`epochEarnings` with `isLatestOnly: false`) as earned periods, in points.

use orcha_core::{AdapterError, EarnedPeriod};

use super::normalize::points;
use super::wire::RawEpochPage;
use super::GrassAdapter;

/// Every epoch the account has, not only the latest (`{"isLatestOnly":false}`, URL-encoded as
/// the dashboard sends its input).
pub(super) const EPOCHS_PATH: &str = "/epochEarnings?input=%7B%22isLatestOnly%22%3Afalse%7D";
/// An epoch is read only this long after its end: its points may still be counted after it
/// ends, and a stored period is never updated (stored once per key).
const SETTLE_AFTER: chrono::Duration = chrono::Duration::hours(48);

impl GrassAdapter {
    /// The closed epochs (ended at least [`SETTLE_AFTER`] ago) with their settled points, one
    /// period each, keyed by the epoch's start so a renamed epoch is not stored twice. The running
    /// epoch is left out (its points are not settled), and so is an epoch without dates (it
    /// cannot be placed in time) or with 0 points (the API's "not counted").
    pub(super) async fn epoch_history(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        if self.settings.token.is_none() {
            return Err(AdapterError::Unauthorized {
                endpoint: self.clients[0].url("/epochEarnings"),
                hint: super::TOKEN_HINT.to_owned(),
            });
        }
        let page: RawEpochPage = self.typed(EPOCHS_PATH, &self.procedure(EPOCHS_PATH).await?)?;
        let ep = self.clients[0].url("/epochEarnings");
        let now = self.now();
        let mut out = Vec::new();
        for (i, e) in page.data.into_iter().enumerate() {
            let (Some(start), Some(end)) = (e.start_date, e.end_date) else {
                continue;
            };
            if end + SETTLE_AFTER > now || end <= start {
                continue;
            }
            let amount = points(
                &ep,
                &format!("result.data.data[{i}].totalPoints"),
                e.total_points,
            )?;
            if amount.amount == 0 {
                continue;
            }
            let name = e.epoch_name.unwrap_or_else(|| "epoch".to_owned());
            out.push(EarnedPeriod {
                key: format!("grass:epoch:{}", start.format("%Y-%m-%dT%H:%M:%SZ")),
                start,
                end,
                amount,
                source: format!("epochEarnings {name}"),
            });
        }
        out.sort_by_key(|p| p.start);
        Ok(out)
    }
}
