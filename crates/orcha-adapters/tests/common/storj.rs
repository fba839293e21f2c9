//! The Storj node the adapter tests replay: every endpoint of a current (v1.162) node, and the
//! adapter under test with short timeouts.

use std::sync::Arc;
use std::time::Duration;

use orcha_adapters::storj::{StorjAdapter, StorjSettings};
use orcha_core::{ManualClock, NodeId};

use super::{Recorded, Replay};

pub const STORJ: Recorded = Recorded("storj");

/// The current node (v1.162 shapes) with every endpoint the adapter reads.
pub fn current_node() -> Replay {
    let r = Replay::default();
    r.set(
        "/api/sno/",
        STORJ.fixture("api_sno.current.constructed.json"),
    )
    .set(
        "/api/sno/satellites",
        STORJ.fixture("api_sno_satellites.json"),
    )
    .set(
        "/api/sno/satellite/12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S",
        STORJ.fixture("api_sno_satellite.current.constructed.json"),
    )
    .set(
        "/api/sno/estimated-payout",
        STORJ.fixture("api_sno_estimated_payout.json"),
    )
    .set(
        "/api/heldamount/periods",
        STORJ.fixture("api_heldamount_periods.json"),
    )
    .set(
        "/api/heldamount/paystubs/2021-07",
        STORJ.fixture("api_heldamount_paystubs.json"),
    )
    .set(
        "/api/heldamount/paystubs/2021-01/2021-07",
        STORJ.fixture("api_heldamount_paystubs.json"),
    )
    .set(
        "/api/heldamount/payout-history/2021-07",
        STORJ.fixture("api_heldamount_payout_history.json"),
    )
    .set(
        "/api/heldamount/held-history",
        STORJ.fixture("api_heldamount_held_history.json"),
    );
    r
}

pub fn adapter(base: &str, name: &str, clock: Arc<ManualClock>) -> StorjAdapter {
    let mut s = StorjSettings::new(base, clock);
    s.timeout = Duration::from_millis(500);
    s.payout_timeout = Duration::from_secs(2);
    StorjAdapter::new(NodeId::new(orcha_core::ProtocolId::Storj, name).unwrap(), s).unwrap()
}
