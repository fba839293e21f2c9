//! Egress bandwidth with `tc`: an HTB class per node on the device its traffic leaves by.
//!
//! Two ways to tell a node's packets apart, chosen by its configuration:
//! - **its own device** (its container's veth, or a device only it uses): the HTB root's default
//!   class `1:10` carries the cap and every packet leaving the device is the node's;
//! - **a shared device** with the node's listening ports: class `1:<port in hex>` carries the
//!   cap and `u32` filters send packets whose source port is one of the node's there (a Storj
//!   node serves its uploads to customers from its own port). Other traffic stays unclassified
//!   and HTB sends it unshaped, so other nodes' classes on the same device are left alone.
//!
//! Classifying by cgroup (`cls_cgroup`, or nftables marks with the `fw` classifier) would also
//! catch connections the node opens itself, but neither classifier exists in every kernel —
//! this machine's has only `u32` — so ports are what is built; a node whose egress is on
//! outgoing connections (Golem, Grass) needs its own device to be shaped.

use std::time::Duration;

use async_trait::async_trait;
use orcha_core::ResourceKind;

use crate::{check_read_back, run_command, EnforceError, EnforcementBackend, Limits, UNLIMITED};

/// The class that carries the node's traffic on its own device (`1:10`; `default 10` is hex).
const CLASS: &str = "1:10";

/// Rates are written in whole bytes per second that `tc` prints back exactly (multiples of
/// 1 kB/s = 8000 bit/s), so the read-back can be compared exactly.
const RATE_STEP_BPS: u64 = 8000;

/// How the node's packets are found on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Classify {
    /// Everything leaving the device is the node's.
    Device,
    /// Packets whose source port is one of these; the class and filter priority derive from
    /// the first port, so they are stable across restarts and distinct per node on a device.
    SourcePorts(Vec<u16>),
}

#[derive(Debug, Clone)]
pub struct TrafficBackend {
    device: String,
    /// Network namespace of the device (`tc -n`), when it is not the host's.
    netns: Option<String>,
    classify: Classify,
    timeout: Duration,
}

impl TrafficBackend {
    /// Shapes all egress of `device`, which carries only this node.
    pub fn new(device: &str, netns: Option<&str>) -> Self {
        TrafficBackend {
            device: device.to_owned(),
            netns: netns.map(str::to_owned),
            classify: Classify::Device,
            timeout: Duration::from_secs(10),
        }
    }

    /// Shapes the packets leaving `device` from the node's listening `ports`; the device may
    /// carry other nodes' and the desktop's traffic. Ports of 0 are ignored; with no port left
    /// this is the same as [`TrafficBackend::new`].
    pub fn on_shared_device(device: &str, netns: Option<&str>, ports: &[u16]) -> Self {
        let ports: Vec<u16> = ports.iter().copied().filter(|p| *p != 0).collect();
        let mut b = TrafficBackend::new(device, netns);
        if !ports.is_empty() {
            b.classify = Classify::SourcePorts(ports);
        }
        b
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
        match &self.classify {
            Classify::Device => format!("egress of {}", self.device),
            Classify::SourcePorts(p) => format!(
                "egress of {} from port{} {}",
                self.device,
                if p.len() == 1 { "" } else { "s" },
                p.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// The node's class id and filter priority.
    fn class(&self) -> (String, String) {
        match &self.classify {
            Classify::Device => (CLASS.to_owned(), String::new()),
            Classify::SourcePorts(p) => {
                let first = p.first().copied().unwrap_or(10);
                (format!("1:{first:x}"), first.to_string())
            }
        }
    }

    /// Whether the device's root qdisc is our HTB `1:` (which other nodes' classes may share).
    async fn has_htb_root(&self) -> Result<bool, EnforceError> {
        let show = self.tc(&["qdisc", "show", "dev", &self.device]).await?;
        Ok(show.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&"htb") && f.get(2) == Some(&"1:") && f.get(3) == Some(&"root")
        }))
    }

    /// Removes the node's filters (all of them share one priority); none there is fine.
    async fn delete_filters(&self, prio: &str) -> Result<(), EnforceError> {
        let dev = self.device.as_str();
        absent_is_fine(
            self.tc(&["filter", "del", "dev", dev, "parent", "1:", "prio", prio])
                .await,
        )
    }

    async fn apply_ports(&self, ports: &[u16], bps: u64) -> Result<u64, EnforceError> {
        let dev = self.device.as_str();
        let (class, prio) = self.class();
        if bps == UNLIMITED {
            if !self.has_htb_root().await? {
                return Ok(UNLIMITED);
            }
            self.delete_filters(&prio).await?;
            if class_rate_of(&self.tc(&["class", "show", "dev", dev]).await?, &class).is_some() {
                self.tc(&["class", "del", "dev", dev, "classid", &class])
                    .await?;
            }
            return Ok(UNLIMITED);
        }
        // Replacing an existing root would drop the other nodes' classes; add it only if absent.
        // Without `default`, unclassified traffic is not shaped.
        if !self.has_htb_root().await? {
            self.tc(&[
                "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb",
            ])
            .await?;
        }
        let rate = written_rate(bps);
        let r = format!("{rate}bit");
        self.tc(&[
            "class", "replace", "dev", dev, "parent", "1:", "classid", &class, "htb", "rate", &r,
            "ceil", &r,
        ])
        .await?;
        // Filters cannot be replaced by match, so the node's set is rebuilt under its priority.
        self.delete_filters(&prio).await?;
        for port in ports {
            let p = port.to_string();
            self.tc(&[
                "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", &prio,
                "u32", "match", "ip", "sport", &p, "0xffff", "flowid", &class,
            ])
            .await?;
        }
        Ok(rate)
    }
}

/// A `tc … del` that found nothing to delete succeeded: what it was to remove is gone.
fn absent_is_fine(result: Result<String, EnforceError>) -> Result<(), EnforceError> {
    match result {
        Err(e) => {
            let text = e.to_string();
            let gone = ["No such file", "Cannot find", "Invalid handle", "not found"]
                .iter()
                .any(|m| text.contains(m));
            if gone {
                Ok(())
            } else {
                Err(e)
            }
        }
        Ok(_) => Ok(()),
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
    class_rate_of(show, CLASS)
}

/// The rate of HTB class `class` in `tc class show` output, if the class exists.
pub fn class_rate_of(show: &str, class: &str) -> Option<u64> {
    show.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) != Some(&"htb") || f.get(2) != Some(&class) {
            return None;
        }
        let i = f.iter().position(|w| *w == "rate")?;
        parse_rate(f.get(i + 1)?)
    })
}

/// The source ports that `u32` filters in `tc filter show` output send to `class`.
///
/// `tc` prints an IPv4 source-port match as `match PPPP0000/ffff0000 at 20` (the port is the
/// high half of the first word after a 20-byte header) under a filter line whose `flowid` is
/// the class.
pub fn filtered_ports(show: &str, class: &str) -> Vec<u16> {
    let mut ports = Vec::new();
    let mut in_class = false;
    for line in show.lines() {
        if line.starts_with("filter ") {
            in_class = line.contains("flowid") && line.split_whitespace().any(|w| w == class);
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let (true, Some(&"match"), Some(m), Some(&"at"), Some(&"20")) =
            (in_class, f.first(), f.get(1), f.get(2), f.get(3))
        else {
            continue;
        };
        if let Some((value, "ffff0000")) = m.split_once('/') {
            if let Ok(v) = u32::from_str_radix(value, 16) {
                if let Ok(port) = u16::try_from(v >> 16) {
                    ports.push(port);
                }
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
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
        let (class, _) = self.class();
        let mut rate = class_rate_of(&show, &class).unwrap_or(UNLIMITED);
        if let Classify::SourcePorts(ports) = &self.classify {
            if rate != UNLIMITED {
                // A class nothing is sent to caps nothing: without every port's filter the node
                // is in fact unlimited.
                let filters = self
                    .tc(&["filter", "show", "dev", &self.device, "parent", "1:"])
                    .await?;
                let found = filtered_ports(&filters, &class);
                if !ports.iter().all(|p| found.contains(p)) {
                    rate = UNLIMITED;
                }
            }
        }
        Ok(Limits::from([(ResourceKind::Bandwidth, rate)]))
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let Some(&bps) = limits.get(&ResourceKind::Bandwidth) else {
            return Ok(Limits::new());
        };
        let wanted = match &self.classify {
            Classify::SourcePorts(ports) => self.apply_ports(ports, bps).await?,
            Classify::Device if bps == UNLIMITED => {
                // Removing the root qdisc lifts the cap.
                absent_is_fine(
                    self.tc(&["qdisc", "del", "dev", &self.device, "root"])
                        .await,
                )?;
                UNLIMITED
            }
            Classify::Device => {
                let rate = written_rate(bps);
                let r = format!("{rate}bit");
                let dev = self.device.as_str();
                self.tc(&[
                    "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "10",
                ])
                .await?;
                self.tc(&[
                    "class", "replace", "dev", dev, "parent", "1:", "classid", CLASS, "htb",
                    "rate", &r, "ceil", &r,
                ])
                .await?;
                rate
            }
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
    fn source_port_filters_parse_as_tc_prints_them() {
        // Captured from `tc filter show dev v0 parent 1:` on this machine's kernel.
        let show = "filter protocol ip pref 28967 u32 chain 0 \n\
filter protocol ip pref 28967 u32 chain 0 fh 800: ht divisor 1 \n\
filter protocol ip pref 28967 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 *flowid 1:7127 not_in_hw \n\
  match 71270000/ffff0000 at 20\n\
filter protocol ip pref 28967 u32 chain 0 fh 800::801 order 2049 key ht 800 bkt 0 *flowid 1:7127 not_in_hw \n\
  match 13880000/ffff0000 at 20\n\
filter protocol ip pref 5300 u32 chain 0 fh 801::800 order 2048 key ht 801 bkt 0 *flowid 1:14b4 not_in_hw \n\
  match 14b40000/ffff0000 at 20\n";
        assert_eq!(filtered_ports(show, "1:7127"), vec![5000, 28967]);
        assert_eq!(filtered_ports(show, "1:14b4"), vec![5300]);
        assert!(filtered_ports(show, "1:10").is_empty());
        assert!(filtered_ports("", "1:7127").is_empty());
    }

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
