//! Byte counters of the `tc` class Orcha shapes a node's egress with.
//!
//! `tc -s -j class show dev X` is asked for JSON, but iproute2 up to at least 6.1 prints HTB
//! classes as text even with `-j` (this machine's does), so both shapes are parsed.

use std::time::Duration;

use serde_json::Value;

use crate::error::UsageError;

/// One class on one device, optionally inside a network namespace (`tc -n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcClass {
    pub device: String,
    pub netns: Option<String>,
    /// `1:10`, as `tc` prints it.
    pub classid: String,
}

/// A `tc` answer is a few lines per class; more than this is not a class list.
const OUTPUT_CAP: usize = 1024 * 1024;

impl TcClass {
    pub fn new(device: &str, netns: Option<&str>, classid: &str) -> Self {
        TcClass {
            device: device.to_owned(),
            netns: netns.map(str::to_owned),
            classid: classid.to_owned(),
        }
    }

    fn endpoint(&self) -> String {
        match &self.netns {
            Some(ns) => format!("tc -n {ns} class show dev {}", self.device),
            None => format!("tc class show dev {}", self.device),
        }
    }

    /// The bytes the class has sent since it was created.
    pub async fn sent_bytes(&self, target: &str, timeout: Duration) -> Result<u64, UsageError> {
        let endpoint = self.endpoint();
        let mut args: Vec<&str> = vec![];
        if let Some(ns) = &self.netns {
            args.extend(["-n", ns.as_str()]);
        }
        args.extend(["-s", "-j", "class", "show", "dev", self.device.as_str()]);
        let fail = |reason: String| UsageError::Endpoint {
            target: target.to_owned(),
            endpoint: endpoint.clone(),
            reason,
        };
        let run = tokio::process::Command::new("tc")
            .args(&args)
            .kill_on_drop(true)
            .output();
        let out = match tokio::time::timeout(timeout, run).await {
            Ok(r) => r.map_err(|e| fail(e.to_string()))?,
            Err(_) => {
                return Err(UsageError::Timeout {
                    target: target.to_owned(),
                    endpoint,
                    after: timeout,
                })
            }
        };
        if !out.status.success() {
            return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
        }
        if out.stdout.len() > OUTPUT_CAP {
            return Err(UsageError::TooLarge {
                target: target.to_owned(),
                endpoint,
                cap: OUTPUT_CAP,
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        class_sent_bytes(&text, &self.classid).ok_or_else(|| UsageError::Parse {
            target: target.to_owned(),
            path: endpoint.clone(),
            reason: format!("no class {} with byte counters", self.classid),
        })
    }
}

/// The `Sent` bytes of `classid` in `tc -s [-j] class show` output, JSON or text.
pub fn class_sent_bytes(output: &str, classid: &str) -> Option<u64> {
    let trimmed = output.trim_start();
    if trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(trimmed).ok()?;
        return v.as_array()?.iter().find_map(|c| {
            if c.get("handle")?.as_str()? != classid {
                return None;
            }
            // Newer iproute2 prints the counters at the class level, some builds under `stats`.
            c.get("bytes")
                .or_else(|| c.get("stats").and_then(|s| s.get("bytes")))?
                .as_u64()
        });
    }
    // Text: `class htb 1:10 root …` then ` Sent 16320 bytes 20 pkt (…)`.
    let mut in_class = false;
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"class") {
            in_class = words.get(2) == Some(&classid);
        } else if in_class && words.first() == Some(&"Sent") && words.get(2) == Some(&"bytes") {
            return words.get(1)?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_output_of_iproute2_6_1_is_parsed() {
        let out = "class htb 1:1 root rate 1Gbit ceil 1Gbit burst 1375b cburst 1375b \n Sent 99 bytes 1 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n\
                   class htb 1:10 root prio 0 rate 100Mbit ceil 100Mbit burst 1600b cburst 1600b \n Sent 16320 bytes 20 pkt (dropped 0, overlimits 17 requeues 0) \n backlog 0b 0p requeues 0\n lended: 20 borrowed: 0 giants: 0\n";
        assert_eq!(class_sent_bytes(out, "1:10"), Some(16320));
        assert_eq!(class_sent_bytes(out, "1:1"), Some(99));
        assert_eq!(class_sent_bytes(out, "1:2"), None);
        assert_eq!(
            class_sent_bytes("class htb 1:10\n Sent x bytes\n", "1:10"),
            None
        );
    }

    #[test]
    fn json_output_is_parsed_at_either_level() {
        let flat = r#"[{"class":"htb","handle":"1:10","bytes":500,"packets":3}]"#;
        assert_eq!(class_sent_bytes(flat, "1:10"), Some(500));
        let nested = r#"[{"class":"htb","handle":"1:1"},{"class":"htb","handle":"1:10","stats":{"bytes":7}}]"#;
        assert_eq!(class_sent_bytes(nested, "1:10"), Some(7));
        assert_eq!(class_sent_bytes("[{", "1:10"), None);
        assert_eq!(class_sent_bytes("[]", "1:10"), None);
    }
}
