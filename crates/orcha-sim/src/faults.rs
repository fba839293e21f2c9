//! Injectable faults: what can go wrong with a node or its API, and when.

use orcha_core::ProtocolId;
use serde::{Deserialize, Serialize};

/// Which shape of the Storj dashboard API is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorjShape {
    /// v1.162 (diskSpace.allocated, vettedAt, storageDaily.calculated).
    #[default]
    #[serde(rename = "current")]
    Current,
    /// v1.71.2 (REAL fixture): currentStorageUsed, diskSpace.available = allocation.
    #[serde(rename = "v1.71")]
    V1_71,
    /// v1.37.1 (REAL fixture): no quicStatus, lastQuicPingedAt or averageUsageBytes.
    #[serde(rename = "v1.37")]
    V1_37,
}

impl StorjShape {
    pub fn version(self) -> &'static str {
        match self {
            StorjShape::Current => "1.162.2",
            StorjShape::V1_71 => "1.71.2",
            StorjShape::V1_37 => "1.37.1",
        }
    }
}

/// How an offline node looks from the outside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfflineMode {
    /// The port is closed: connections are refused.
    #[default]
    Refused,
    /// Connections are accepted and then closed without an answer.
    Closed,
}

/// One kind of fault, with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The node is down: its API does not answer and it earns nothing.
    Offline {
        #[serde(default)]
        mode: OfflineMode,
    },
    /// Every answer is delayed by this many real milliseconds.
    Slow { delay_ms: u64 },
    /// Every answer is an HTTP 500.
    Http500,
    /// Every answer is truncated, invalid JSON with status 200.
    Malformed,
    /// The Storj dashboard switches to another version's shape.
    VersionDrift { shape: StorjShape },
    /// The node earns `percent` % less.
    EarningsDrop { percent: f64 },
    /// The disk fills up: used space grows by this many GB per simulated hour.
    DiskFilling { gb_per_hour: f64 },
    /// The credential is revoked: authenticated routes answer 401.
    TokenRevoked,
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Offline { .. } => "offline",
            FaultKind::Slow { .. } => "slow",
            FaultKind::Http500 => "http500",
            FaultKind::Malformed => "malformed",
            FaultKind::VersionDrift { .. } => "version_drift",
            FaultKind::EarningsDrop { .. } => "earnings_drop",
            FaultKind::DiskFilling { .. } => "disk_filling",
            FaultKind::TokenRevoked => "token_revoked",
        }
    }
}

/// A fault on one node over a window of simulated minutes since the start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fault {
    pub id: u64,
    #[serde(serialize_with = "crate::model::ser_name")]
    pub target: ProtocolId,
    #[serde(flatten)]
    pub kind: FaultKind,
    pub start_minute: u64,
    /// `None` = until cleared.
    pub end_minute: Option<u64>,
}

impl Fault {
    pub fn active_at(&self, minute: u64) -> bool {
        self.start_minute <= minute && self.end_minute.is_none_or(|e| minute < e)
    }
}

/// The HTTP-visible state of one surface at one moment, derived from the active faults.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SurfaceFaults {
    pub offline: Option<OfflineMode>,
    pub slow_ms: u64,
    pub http500: bool,
    pub malformed: bool,
    pub token_revoked: bool,
    pub storj_shape: Option<StorjShape>,
}

/// Every fault ever scheduled, scripted or injected at run time.
#[derive(Clone, Debug, Default)]
pub struct FaultBook {
    faults: Vec<Fault>,
    next_id: u64,
}

impl FaultBook {
    pub fn add(
        &mut self,
        target: ProtocolId,
        kind: FaultKind,
        start_minute: u64,
        end_minute: Option<u64>,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.faults.push(Fault {
            id,
            target,
            kind,
            start_minute,
            end_minute,
        });
        id
    }

    /// Ends a fault at `minute` (it stays in the book so scoring sees what happened).
    pub fn clear(&mut self, id: u64, minute: u64) -> bool {
        match self.faults.iter_mut().find(|f| f.id == id) {
            Some(f) => {
                let end = f
                    .end_minute
                    .map_or(minute, |e| e.min(minute))
                    .max(f.start_minute);
                f.end_minute = Some(end);
                true
            }
            None => false,
        }
    }

    pub fn all(&self) -> &[Fault] {
        &self.faults
    }

    pub fn active(&self, target: ProtocolId, minute: u64) -> impl Iterator<Item = &Fault> {
        self.faults
            .iter()
            .filter(move |f| f.target == target && f.active_at(minute))
    }

    /// The factor the node's earnings are multiplied by at this minute (0 while offline).
    pub fn earnings_factor(&self, target: ProtocolId, minute: u64) -> f64 {
        let mut factor = 1.0;
        for f in self.active(target, minute) {
            match f.kind {
                FaultKind::Offline { .. } => factor = 0.0,
                FaultKind::EarningsDrop { percent } => {
                    factor *= (1.0 - percent / 100.0).clamp(0.0, 1.0);
                }
                _ => {}
            }
        }
        factor
    }

    /// Extra disk use (GB per hour) at this minute.
    pub fn disk_filling_gb_per_hour(&self, target: ProtocolId, minute: u64) -> f64 {
        self.active(target, minute)
            .map(|f| match f.kind {
                FaultKind::DiskFilling { gb_per_hour } => gb_per_hour.max(0.0),
                _ => 0.0,
            })
            .sum()
    }

    pub fn surface(&self, target: ProtocolId, minute: u64) -> SurfaceFaults {
        let mut s = SurfaceFaults::default();
        for f in self.active(target, minute) {
            match &f.kind {
                FaultKind::Offline { mode } => s.offline = Some(*mode),
                FaultKind::Slow { delay_ms } => s.slow_ms = s.slow_ms.max(*delay_ms),
                FaultKind::Http500 => s.http500 = true,
                FaultKind::Malformed => s.malformed = true,
                FaultKind::TokenRevoked => s.token_revoked = true,
                FaultKind::VersionDrift { shape } => s.storj_shape = Some(*shape),
                FaultKind::EarningsDrop { .. } | FaultKind::DiskFilling { .. } => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_inside_their_window_and_can_be_cleared() {
        let mut b = FaultBook::default();
        let drop = b.add(
            ProtocolId::Storj,
            FaultKind::EarningsDrop { percent: 40.0 },
            10,
            None,
        );
        b.add(
            ProtocolId::Storj,
            FaultKind::Offline {
                mode: OfflineMode::Closed,
            },
            100,
            Some(110),
        );
        assert_eq!(b.earnings_factor(ProtocolId::Storj, 5), 1.0);
        assert!((b.earnings_factor(ProtocolId::Storj, 50) - 0.6).abs() < 1e-12);
        assert_eq!(b.earnings_factor(ProtocolId::Storj, 105), 0.0);
        assert_eq!(
            b.surface(ProtocolId::Storj, 105).offline,
            Some(OfflineMode::Closed)
        );
        assert_eq!(b.earnings_factor(ProtocolId::Golem, 105), 1.0);
        assert!(b.clear(drop, 200));
        assert_eq!(b.earnings_factor(ProtocolId::Storj, 250), 1.0);
    }

    #[test]
    fn fault_kinds_parse_from_json() {
        let k: FaultKind =
            serde_json::from_str(r#"{"kind":"version_drift","shape":"v1.37"}"#).unwrap();
        assert_eq!(
            k,
            FaultKind::VersionDrift {
                shape: StorjShape::V1_37
            }
        );
        let k: FaultKind = serde_json::from_str(r#"{"kind":"offline"}"#).unwrap();
        assert_eq!(
            k,
            FaultKind::Offline {
                mode: OfflineMode::Refused
            }
        );
        assert!(serde_json::from_str::<FaultKind>(r#"{"kind":"nope"}"#).is_err());
    }
}
