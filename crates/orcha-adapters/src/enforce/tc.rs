//! Egress bandwidth with `tc`: an HTB root qdisc on the node's own device (its container veth,
//! or a device only it uses) whose default class carries the node's cap.
//!
//! Classification is per device: every packet leaving the device is the node's. Sharing one
//! device between nodes needs packet marks per cgroup (nftables `socket cgroupv2`) and a `fw`
//! filter per class; that is not built yet, so such a node's bandwidth stays fixed.

use std::time::Duration;

use async_trait::async_trait;
use orcha_core::ResourceKind;

use super::{check_read_back, run_command, EnforceError, EnforcementBackend, Limits, UNLIMITED};

/// The class that carries the node's traffic (`1:10`; tc handles are hex, so `default 10`).
const CLASS: &str = "1:10";

/// Rates are written in whole bytes per second that `tc` prints back exactly (multiples of
/// 1 kB/s = 8000 bit/s), so the read-back can be compared exactly.
const RATE_STEP_BPS: u64 = 8000;

#[derive(Debug, Clone)]
pub struct TrafficBackend {
    device: String,
    /// Network namespace of the device (`tc -n`), when it is not the host's.
    netns: Option<String>,
    timeout: Duration,
}

impl TrafficBackend {
    pub fn new(device: &str, netns: Option<&str>) -> Self {
        TrafficBackend {
            device: device.to_owned(),
            netns: netns.map(str::to_owned),
            timeout: Duration::from_secs(10),
        }
    }

    async fn tc(&self, args: &[&str]) -> Result<String, EnforceError> {
        let mut all: Vec<&str> = Vec::new();
        if let Some(ns) = &self.netns {
            all.extend(["-n", ns.as_str()]);
        }
        all.extend(args);
        run_command("tc", &all, self.timeout).await
    }

    fn target(&self) -> String {
        format!("egress of {}", self.device)
    }
}

/// Parses a rate as `tc` prints it (`8Mbit`, `3336Kbit`, `500bit`; SI prefixes).
pub fn parse_rate(text: &str) -> Option<u64> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let mult = match unit {
        "bit" => 1,
        "Kbit" => 1_000,
        "Mbit" => 1_000_000,
        "Gbit" => 1_000_000_000,
        "Tbit" => 1_000_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The rate of class `1:10` in `tc class show` output, if the class exists.
pub fn class_rate(show: &str) -> Option<u64> {
    show.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) != Some(&"htb") || f.get(2) != Some(&CLASS) {
            return None;
        }
        let i = f.iter().position(|w| *w == "rate")?;
        parse_rate(f.get(i + 1)?)
    })
}

/// The rate a cap of `bps` is written as.
pub fn written_rate(bps: u64) -> u64 {
    (bps / RATE_STEP_BPS * RATE_STEP_BPS).max(RATE_STEP_BPS)
}

#[async_trait]
impl EnforcementBackend for TrafficBackend {
    fn name(&self) -> &'static str {
        "tc"
    }

    fn resources(&self) -> Vec<ResourceKind> {
        vec![ResourceKind::Bandwidth]
    }

    async fn read(&self) -> Result<Limits, EnforceError> {
        let show = self.tc(&["class", "show", "dev", &self.device]).await?;
        let rate = class_rate(&show).unwrap_or(UNLIMITED);
        Ok(Limits::from([(ResourceKind::Bandwidth, rate)]))
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let Some(&bps) = limits.get(&ResourceKind::Bandwidth) else {
            return Ok(Limits::new());
        };
        let wanted = if bps == UNLIMITED {
            // Removing the root qdisc lifts the cap; "nothing to delete" is fine.
            if let Err(e) = self
                .tc(&["qdisc", "del", "dev", &self.device, "root"])
                .await
            {
                let missing = e.to_string().contains("No such file")
                    || e.to_string().contains("Cannot find specified qdisc");
                if !missing {
                    return Err(e);
                }
            }
            UNLIMITED
        } else {
            let rate = written_rate(bps);
            let r = format!("{rate}bit");
            let dev = self.device.as_str();
            self.tc(&[
                "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "10",
            ])
            .await?;
            self.tc(&[
                "class", "replace", "dev", dev, "parent", "1:", "classid", CLASS, "htb", "rate",
                &r, "ceil", &r,
            ])
            .await?;
            rate
        };
        let wanted = Limits::from([(ResourceKind::Bandwidth, wanted)]);
        let read = self.read().await?;
        check_read_back(&self.target(), &wanted, &read)?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_tc_prints_them() {
        assert_eq!(parse_rate("8Mbit"), Some(8_000_000));
        assert_eq!(parse_rate("3336Kbit"), Some(3_336_000));
        assert_eq!(parse_rate("512bit"), Some(512));
        assert_eq!(parse_rate("fast"), None);
        let show =
            "class htb 1:10 root prio 0 rate 3336Kbit ceil 3336Kbit burst 1599b cburst 1599b \n";
        assert_eq!(class_rate(show), Some(3_336_000));
        assert_eq!(class_rate(""), None);
        assert_eq!(written_rate(3_337_999), 3_336_000);
    }
}
