//! Credentials never cross the network in the clear: an endpoint Orcha always sends a credential
//! to must be `https` when it is off this machine, unless that endpoint sets
//! `allow_insecure_http = true`; SMTP without TLS goes only to a relay on this machine. Checked
//! when the config is loaded, each error naming the key to change. Endpoints whose credential is
//! optional (a Streamr API key, an ntfy or webhook token) are held to the same rule when the
//! credential is handed out (`orcha_api::bound_secrets`).

use super::Config;
use crate::domain::ProtocolId;

/// Alert channels that may be listed in `alerts.allow_insecure_http`.
const CHANNELS: [&str; 3] = ["ntfy", "webhook", "telegram"];

/// The host of an `http://` or `https://` URL, lower-cased and without IPv6 brackets; `None`
/// when the text is not such a URL.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // Userinfo (`user:pass@`) is not part of the host.
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `localhost` (and names under it) or a loopback IP address.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url` points at this machine.
pub fn is_loopback_url(url: &str) -> bool {
    url_host(url).is_some_and(|h| is_loopback_host(&h))
}

/// `Err` naming `key` when `url` is plain http off loopback without the allowance.
fn https_or_allowed(
    key: &str,
    url: &str,
    allowed: bool,
    allowance: &str,
    credential: &str,
) -> Result<(), String> {
    if allowed || !url.starts_with("http://") || is_loopback_url(url) {
        return Ok(());
    }
    Err(format!(
        "`{key}` = {url:?} would send {credential} over plain http to another machine; use https, \
         or accept the risk for this endpoint with `{allowance}`"
    ))
}

impl Config {
    pub(super) fn check_transport(&self) -> Result<(), String> {
        for t in self.protocols.tables() {
            let credential = match t.protocol {
                ProtocolId::Golem => "the yagna app key",
                ProtocolId::Grass => "the Grass session token",
                // Storj's dashboard API has no credential; Streamr's API key is optional and
                // withheld at run time instead.
                ProtocolId::Storj | ProtocolId::Streamr => continue,
            };
            if !t.enabled {
                continue;
            }
            let p = t.protocol;
            https_or_allowed(
                &format!("protocols.{p}.api_endpoint"),
                t.api_endpoint,
                t.allow_insecure_http,
                &format!("protocols.{p}.allow_insecure_http = true"),
                credential,
            )?;
            for n in t.extra {
                https_or_allowed(
                    &format!("protocols.{p}.nodes (name = {:?}) api_endpoint", n.name),
                    &n.api_endpoint,
                    n.allow_insecure_http,
                    &format!("allow_insecure_http = true in that [[protocols.{p}.nodes]] entry"),
                    credential,
                )?;
            }
        }
        let a = &self.alerts;
        if let Some(bad) = a
            .allow_insecure_http
            .iter()
            .find(|c| !CHANNELS.contains(&c.as_str()))
        {
            return Err(format!(
                "`alerts.allow_insecure_http` lists {bad:?}; the channels are {}",
                CHANNELS.join(", ")
            ));
        }
        if !a.telegram_chat_id.is_empty() {
            https_or_allowed(
                "alerts.telegram_api_url",
                &a.telegram_api_url,
                a.allow_insecure_http.iter().any(|c| c == "telegram"),
                "alerts.allow_insecure_http = [\"telegram\"]",
                "the Telegram bot token",
            )?;
        }
        if !a.smtp_host.is_empty() && a.smtp_security == "none" && !is_loopback_host(&a.smtp_host) {
            return Err(format!(
                "`alerts.smtp_security` = \"none\" sends mail and the SMTP password in the clear; \
                 without TLS only a relay on this machine may be used, not {:?} \
                 (`alerts.smtp_host`); use \"starttls\" or \"tls\"",
                a.smtp_host
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            url_host("https://Node.LAN:7465/x").as_deref(),
            Some("node.lan")
        );
        assert_eq!(url_host("http://[::1]:7465").as_deref(), Some("::1"));
        assert_eq!(
            url_host("http://u:p@10.0.0.2/").as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(url_host("ftp://x"), None);
        assert_eq!(url_host("http://"), None);
        assert!(is_loopback_url("http://127.0.0.1:14002"));
        assert!(is_loopback_url("http://[::1]:1"));
        assert!(is_loopback_url("http://localhost"));
        assert!(!is_loopback_url("http://127.0.0.1.evil.example"));
        assert!(!is_loopback_url("http://10.0.0.2"));
    }

    fn parse(text: &str) -> Result<Config, String> {
        Config::from_toml(text, std::path::Path::new("/etc/orcha/config.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn credential_endpoints_off_loopback_need_https_or_their_own_allowance() {
        // Loopback http, and https anywhere, are fine.
        parse("[protocols.golem]\nenabled = true\napi_endpoint = \"http://127.0.0.1:7465\"\n")
            .unwrap();
        parse("[protocols.golem]\nenabled = true\napi_endpoint = \"https://box.lan:7465\"\n")
            .unwrap();
        // A disabled table and Storj (no credential) are not held to it.
        parse("[protocols.golem]\napi_endpoint = \"http://10.0.0.5:7465\"\n").unwrap();
        parse("[protocols.storj]\nenabled = true\napi_endpoint = \"http://10.0.0.5:14002\"\n")
            .unwrap();
        for (text, names) in [
            (
                "[protocols.golem]\nenabled = true\napi_endpoint = \"http://10.0.0.5:7465\"\n",
                &["`protocols.golem.api_endpoint`", "protocols.golem.allow_insecure_http = true", "yagna app key"][..],
            ),
            (
                "[protocols.grass]\nenabled = true\napi_endpoint = \"http://grass.example\"\n",
                &["`protocols.grass.api_endpoint`", "session token"][..],
            ),
            (
                "[protocols.golem]\nenabled = true\n[[protocols.golem.nodes]]\nname = \"b\"\napi_endpoint = \"http://10.0.0.6:7465\"\n",
                &["protocols.golem.nodes (name = \"b\") api_endpoint", "[[protocols.golem.nodes]]"][..],
            ),
            (
                "[alerts]\ntelegram_chat_id = \"-100\"\ntelegram_api_url = \"http://tg.example\"\n",
                &["`alerts.telegram_api_url`", "alerts.allow_insecure_http = [\"telegram\"]"][..],
            ),
            (
                "[alerts]\nsmtp_host = \"mail.example\"\nsmtp_security = \"none\"\n",
                &["`alerts.smtp_security`", "mail.example", "`alerts.smtp_host`"][..],
            ),
            (
                "[alerts]\nallow_insecure_http = [\"discord\"]\n",
                &["`alerts.allow_insecure_http`", "\"discord\""][..],
            ),
        ] {
            let err = parse(text).unwrap_err();
            for name in names {
                assert!(err.contains(name), "{text}: {err} should name {name}");
            }
        }
        // The per-endpoint allowance, and SMTP without TLS to a loopback relay, are accepted.
        parse("[protocols.golem]\nenabled = true\napi_endpoint = \"http://10.0.0.5:7465\"\nallow_insecure_http = true\n").unwrap();
        parse("[protocols.golem]\nenabled = true\n[[protocols.golem.nodes]]\nname = \"b\"\napi_endpoint = \"http://10.0.0.6:7465\"\nallow_insecure_http = true\n").unwrap();
        parse("[alerts]\ntelegram_chat_id = \"-100\"\ntelegram_api_url = \"http://tg.example\"\nallow_insecure_http = [\"telegram\"]\n").unwrap();
        parse("[alerts]\nsmtp_host = \"127.0.0.1\"\nsmtp_security = \"none\"\n").unwrap();
        // The allowance of one node is not another's.
        let err = parse("[protocols.golem]\nenabled = true\nallow_insecure_http = true\napi_endpoint = \"http://10.0.0.5:7465\"\n[[protocols.golem.nodes]]\nname = \"b\"\napi_endpoint = \"http://10.0.0.6:7465\"\n").unwrap_err();
        assert!(err.contains("name = \"b\""), "{err}");
    }
}
