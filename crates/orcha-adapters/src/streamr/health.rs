//! Streamr health: every reason the node is not healthy, from the info plugin, the subgraph and the chain.

use orcha_core::{AdapterError, HealthStatus, Money};

use super::{StreamrAdapter, INFO_PLUGIN_OFFER};
use orcha_core::money::trim_decimal;

/// `amount × fraction` for a fraction given as a decimal string, shown in DATA with 2 places.
pub(super) fn show_data(m: &Money) -> String {
    let s = m.to_decimal_string();
    match s.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                format!("{i} DATA")
            } else {
                format!("{i}.{f} DATA")
            }
        }
        None => format!("{s} DATA"),
    }
}

pub(super) fn percent(fraction: &str) -> String {
    // "0.1" → "10 %": shift the decimal point two places without floats.
    let (i, f) = fraction.split_once('.').unwrap_or((fraction, ""));
    let f2: String = f.chars().chain(std::iter::repeat('0')).take(2).collect();
    let rest = f.get(2..).unwrap_or("").trim_end_matches('0');
    let int = format!("{i}{f2}").trim_start_matches('0').to_owned();
    let int = if int.is_empty() { "0".to_owned() } else { int };
    if rest.is_empty() {
        format!("{int} %")
    } else {
        format!("{int}.{rest} %")
    }
}

pub(super) fn finish(reasons: Vec<String>) -> HealthStatus {
    if reasons.is_empty() {
        HealthStatus::Healthy
    } else {
        HealthStatus::Degraded(reasons)
    }
}

impl StreamrAdapter {
    /// Every reason the node is not healthy, from the info plugin, the subgraph and the chain.
    pub(super) async fn health(&self) -> HealthStatus {
        let mut reasons = Vec::new();
        let running = self
            .settings
            .process
            .is_running(self.settings.timeout)
            .await;
        // 1. The node itself.
        let mut info_reading = None;
        if self.info.is_some() {
            match self.info().await {
                Ok(i) => info_reading = Some(i),
                Err(e @ (AdapterError::Unreachable { .. } | AdapterError::Timeout { .. })) => {
                    if running == Some(true) {
                        reasons.push(format!(
                            "the node process runs but its info plugin does not answer: {e}"
                        ));
                    } else {
                        return e.as_health();
                    }
                }
                Err(e) => reasons.push(format!("the node's info plugin: {e}")),
            }
        } else {
            match running {
                Some(false) => {
                    return HealthStatus::Unreachable(format!(
                        "{} is running on this machine",
                        self.settings.process.describe()
                    ))
                }
                Some(true) => {}
                None => reasons.push(format!(
                    "whether the node is up cannot be seen. {INFO_PLUGIN_OFFER}"
                )),
            }
        }
        if let Some(i) = &info_reading {
            if i.connection_count == Some(0) || i.neighbor_count == Some(0) {
                reasons.push("the node has no connections to the Streamr network: check that its P2P port (TCP 32200 by default) is open and forwarded".to_owned());
            }
        }
        if self.settings.operator_address.is_none() {
            reasons.push("protocols.streamr.operator_address is not set: earnings, flags and gas cannot be checked".to_owned());
            return finish(reasons);
        }
        // 2. The operator on-chain, as indexed.
        let network = self.network().await;
        if let Err(e) = &network {
            reasons.push(format!("the network parameters could not be read: {e}"));
        }
        let network = network.ok();
        let overview = match self.overview().await {
            Ok(o) => Some(o),
            Err(e) => {
                reasons.push(format!(
                    "the operator could not be read from the subgraph: {e}"
                ));
                None
            }
        };
        let now = self.now();
        if let Some(o) = &overview {
            let max_age = chrono::Duration::from_std(self.settings.heartbeat_max_age)
                .unwrap_or(chrono::Duration::MAX);
            match o.latest_heartbeat_at {
                Some(t) if now - t > max_age => reasons.push(format!(
                    "no on-chain heartbeat since {}: no node of this operator has acted as leader for over {} h",
                    t.to_rfc3339(),
                    self.settings.heartbeat_max_age.as_secs() / 3600
                )),
                None if !o.stakes.is_empty() => reasons.push("the operator has never written an on-chain heartbeat".to_owned()),
                _ => {}
            }
            for s in &o.stakes {
                let name = s.stream.as_deref().unwrap_or(&s.sponsorship);
                if !s.sponsorship_running {
                    reasons.push(format!(
                        "sponsorship {} ({name}) is not running: the {} staked there earn nothing but can still be slashed",
                        s.sponsorship,
                        show_data(&s.amount)
                    ));
                }
                if s.amount.amount < s.minimum_stake.amount {
                    reasons.push(format!(
                        "the stake in sponsorship {} ({}) is below its minimum of {}: the operator can be kicked out",
                        s.sponsorship,
                        show_data(&s.amount),
                        show_data(&s.minimum_stake)
                    ));
                }
            }
            // With one node, that node must carry every running sponsored stream.
            if let (Some(i), 1) = (&info_reading, o.nodes.len()) {
                if i.diagnostic {
                    for s in o.stakes.iter().filter(|s| s.sponsorship_running) {
                        if let Some(stream) = &s.stream {
                            let joined = i.stream_parts.iter().any(|p| {
                                p.id.split_once('#').map_or(p.id.as_str(), |(id, _)| id) == stream
                            });
                            if !joined {
                                reasons.push(format!("the node has not joined sponsored stream {stream}: it fails inspections there"));
                            }
                        }
                    }
                }
            }
            let mut last = self
                .last_slashings
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(prev) = *last {
                if o.slashings_count > prev {
                    reasons.push(format!(
                        "the operator was slashed {} time(s) since the last check",
                        o.slashings_count - prev
                    ));
                }
            }
            *last = Some(o.slashings_count);
        }
        match self.flags().await {
            Ok(flags) => {
                for f in flags.iter().filter(|f| f.open) {
                    let slash = network
                        .as_ref()
                        .map(|n| {
                            format!(
                                " If the reviewers vote to kick, {} of that stake is slashed.",
                                percent(&n.slashing_fraction)
                            )
                        })
                        .unwrap_or_default();
                    reasons.push(format!(
                        "open flag against the operator in sponsorship {} ({}), {}; {} at risk.{slash} Make sure the node is online and carries that stream",
                        f.sponsorship,
                        f.stream.as_deref().unwrap_or("stream unknown"),
                        f.result,
                        show_data(&f.stake_at_risk)
                    ));
                }
            }
            Err(e) => reasons.push(format!("flags against the operator could not be read: {e}")),
        }
        match self.index_status().await {
            Ok(m) => {
                let lag = chrono::Duration::from_std(self.settings.index_max_lag)
                    .unwrap_or(chrono::Duration::MAX);
                if m.has_indexing_errors {
                    reasons.push(
                        "the subgraph reports indexing errors: its figures may be wrong".to_owned(),
                    );
                }
                if let Some(t) = m.block_at.filter(|t| now - *t > lag) {
                    reasons.push(format!(
                        "the subgraph is behind (last block {}): its figures are stale",
                        t.to_rfc3339()
                    ));
                }
            }
            Err(e) => reasons.push(format!(
                "the subgraph's index status could not be read: {e}"
            )),
        }
        // 3. Exact figures from the chain: uncollected earnings and gas.
        if self.rpc.is_some() {
            let wallets = overview
                .as_ref()
                .map(|o| o.nodes.clone())
                .unwrap_or_default();
            match self.on_chain(&wallets).await {
                Ok(c) => {
                    if c.uncollected.amount > c.max_allowed_earnings.amount {
                        let reward = network
                            .as_ref()
                            .map(|n| {
                                format!(" and keep {} of it", percent(&n.fisherman_reward_fraction))
                            })
                            .unwrap_or_default();
                        reasons.push(format!(
                            "uncollected earnings ({}) exceed the allowed {}: anyone may now collect them{reward}; the leader node is not collecting (gas?)",
                            show_data(&c.uncollected),
                            show_data(&c.max_allowed_earnings)
                        ));
                    }
                    for b in &c.node_balances {
                        match &b.balance {
                            Some(m) if m.amount < self.settings.min_pol_balance.amount => reasons.push(format!(
                                "node wallet {} holds {} POL, below the {} POL threshold: heartbeats, votes and withdrawals need gas",
                                b.address,
                                trim_decimal(&m.to_decimal_string()),
                                trim_decimal(&self.settings.min_pol_balance.to_decimal_string())
                            )),
                            Some(_) => {}
                            None => reasons.push(format!(
                                "the POL balance of node wallet {} could not be read: {}",
                                b.address,
                                b.error.as_deref().unwrap_or("unknown error")
                            )),
                        }
                    }
                }
                Err(e) => reasons.push(format!(
                    "the Operator contract could not be read over RPC: {e}"
                )),
            }
        }
        finish(reasons)
    }
}
