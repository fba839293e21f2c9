//! Credentials stay with the host they were entered for.
//!
//! Every credential that goes to an endpoint (a node's API key, an alert channel's token or
//! password) is stored with a binding record beside it in the same store (`<key>#host`): the host
//! of the endpoint it was entered for. Reading the credential for a different host — the operator
//! changed the node's or the channel's address in the settings — gives nothing, so the old secret
//! is never sent to the new host; the adapter reports unauthorized and the log says to enter the
//! credential again. Credentials also never travel in clear text off this machine: an `http`
//! endpoint off loopback gets none unless that endpoint is explicitly allowed insecure, and the
//! SMTP password goes without TLS only to a loopback relay.
//!
//! A credential stored before bindings existed is bound to the host configured when it is first
//! read (trust on first use), so upgrading keeps working setups working.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use orcha_core::config::Config;
use orcha_core::secret::{SecretError, SecretKey, SecretStore, Sensitive};

/// Where a credential is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`, `http`, `smtps` (TLS or STARTTLS) or `smtp` (no TLS).
    pub scheme: String,
    /// Lower-case host name or address, without port.
    pub host: String,
    /// The operator allowed plain `http` to this endpoint off loopback.
    pub allow_insecure_http: bool,
}

impl Endpoint {
    /// Parses a URL; `None` when it has no host (the endpoint is not configured).
    pub fn of_url(url: &str) -> Option<Endpoint> {
        let u = url::Url::parse(url).ok()?;
        Some(Endpoint {
            scheme: u.scheme().to_owned(),
            host: u.host_str()?.trim_matches(['[', ']']).to_ascii_lowercase(),
            allow_insecure_http: false,
        })
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Why a credential must not be sent here, if it must not.
    pub fn insecure(&self) -> Option<String> {
        match self.scheme.as_str() {
            "http" if !self.is_loopback() && !self.allow_insecure_http => Some(format!(
                "{} is plain http off this machine; use https (or allow insecure http for this endpoint explicitly)",
                self.host
            )),
            "smtp" if !self.is_loopback() => Some(format!(
                "SMTP to {} without TLS would send the password in clear; use starttls or tls",
                self.host
            )),
            _ => None,
        }
    }
}

/// The endpoint each credential key goes to, from a configuration. Keys not listed (the price
/// feed's key, URL-valued secrets that name their own host) are not bound.
pub fn endpoints_of(config: &Config) -> BTreeMap<String, Endpoint> {
    let mut out = BTreeMap::new();
    // The operator's per-endpoint allowance of plain http off loopback (`allow_insecure_http`).
    let mut allowed = std::collections::BTreeSet::new();
    for t in config.protocols.tables() {
        if t.allow_insecure_http {
            allowed.insert(format!("{}:{}/", t.protocol, t.name));
        }
        for n in t.extra.iter().filter(|n| n.allow_insecure_http) {
            allowed.insert(format!("{}:{}/", t.protocol, n.name));
        }
    }
    for n in config.nodes() {
        if let Some(mut e) = Endpoint::of_url(&n.api_endpoint) {
            let key = format!("{}/", n.id);
            e.allow_insecure_http = allowed.contains(&key);
            out.insert(key, e);
        }
    }
    let a = &config.alerts;
    for (channel, key, url) in [
        ("ntfy", "alerts:ntfy/token", &a.ntfy_url),
        ("webhook", "alerts:webhook/token", &a.webhook_url),
        ("telegram", "alerts:telegram/token", &a.telegram_api_url),
    ] {
        if let Some(mut e) = Endpoint::of_url(url) {
            e.allow_insecure_http = a.allow_insecure_http.iter().any(|c| c == channel);
            out.insert(key.to_owned(), e);
        }
    }
    if !a.smtp_host.is_empty() {
        out.insert(
            "alerts:smtp/password".to_owned(),
            Endpoint {
                scheme: if a.smtp_security == "none" {
                    "smtp"
                } else {
                    "smtps"
                }
                .to_owned(),
                host: a.smtp_host.trim().to_ascii_lowercase(),
                allow_insecure_http: false,
            },
        );
    }
    out
}

/// A `SecretStore` that hands a credential out only to the host it was entered for.
pub struct HostBoundSecrets {
    inner: Arc<dyn SecretStore>,
    /// Keyed by exact credential key, or by `<node id>/` for every credential of a node.
    endpoints: RwLock<BTreeMap<String, Endpoint>>,
}

impl std::fmt::Debug for HostBoundSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostBoundSecrets")
    }
}

fn binding_key(key: &SecretKey) -> SecretKey {
    SecretKey(format!("{}#host", key.0))
}

impl HostBoundSecrets {
    pub fn new(inner: Arc<dyn SecretStore>, endpoints: BTreeMap<String, Endpoint>) -> Self {
        HostBoundSecrets {
            inner,
            endpoints: RwLock::new(endpoints),
        }
    }

    /// Binds to the endpoints of `config`; what the front doors pass to the adapter factory.
    pub fn for_config(inner: Arc<dyn SecretStore>, config: &Config) -> Arc<Self> {
        Arc::new(Self::new(inner, endpoints_of(config)))
    }

    /// The endpoints changed (settings saved): credentials follow the new hosts from now on.
    pub fn set_endpoints(&self, endpoints: BTreeMap<String, Endpoint>) {
        *self.endpoints.write().unwrap_or_else(|e| e.into_inner()) = endpoints;
    }

    fn endpoint(&self, key: &SecretKey) -> Option<Endpoint> {
        let map = self.endpoints.read().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get(&key.0) {
            return Some(e.clone());
        }
        let (node, _) = key.0.split_once('/')?;
        map.get(&format!("{node}/")).cloned()
    }

    /// Why the stored credential `key` is not handed out now, or `None` when it is (or when
    /// nothing is stored).
    pub fn withheld(&self, key: &SecretKey) -> Result<Option<String>, SecretError> {
        let Some(endpoint) = self.endpoint(key) else {
            return Ok(None);
        };
        if let Some(why) = endpoint.insecure() {
            return Ok(Some(format!("credential {} withheld: {why}", key.0)));
        }
        match self.inner.get(&binding_key(key))? {
            Some(bound) if bound.expose() != &endpoint.host => Ok(Some(format!(
                "credential {} was entered for {}, but the endpoint is now {}; enter it again for the new host",
                key.0,
                bound.expose(),
                endpoint.host
            ))),
            Some(_) => Ok(None),
            None => {
                // Stored before bindings existed (or never stored): bind it where it is used now.
                if self.inner.get(key)?.is_some() {
                    self.inner
                        .set(&binding_key(key), Sensitive::new(endpoint.host))?;
                }
                Ok(None)
            }
        }
    }
}

impl SecretStore for HostBoundSecrets {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        if let Some(why) = self.withheld(key)? {
            tracing::warn!("{why}");
            return Ok(None);
        }
        self.inner.get(key)
    }

    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError> {
        self.inner.set(key, value)?;
        match self.endpoint(key) {
            Some(e) => self.inner.set(&binding_key(key), Sensitive::new(e.host)),
            // Nothing to bind to yet: the first read binds it.
            None => self.inner.delete(&binding_key(key)),
        }
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.inner.delete(key)?;
        self.inner.delete(&binding_key(key))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use orcha_core::secret::MemorySecretStore;

    use super::*;

    fn ep(url: &str) -> Endpoint {
        Endpoint::of_url(url).unwrap()
    }

    fn store(endpoints: &[(&str, Endpoint)]) -> (Arc<MemorySecretStore>, HostBoundSecrets) {
        let inner = Arc::new(MemorySecretStore::default());
        let map = endpoints
            .iter()
            .map(|(k, e)| ((*k).to_owned(), e.clone()))
            .collect();
        (
            Arc::clone(&inner),
            HostBoundSecrets::new(inner as Arc<dyn SecretStore>, map),
        )
    }

    fn key(k: &str) -> SecretKey {
        SecretKey(k.to_owned())
    }

    #[test]
    fn a_changed_host_gets_no_credential_until_it_is_entered_again() {
        let (_, s) = store(&[("golem:a/", ep("https://node-a.example:7465"))]);
        s.set(&key("golem:a/app_key"), Sensitive::new("k1".into()))
            .unwrap();
        assert_eq!(
            s.get(&key("golem:a/app_key")).unwrap().unwrap().expose(),
            "k1"
        );
        // The operator points the node somewhere else.
        s.set_endpoints(BTreeMap::from([(
            "golem:a/".to_owned(),
            ep("https://elsewhere.example"),
        )]));
        assert!(s.get(&key("golem:a/app_key")).unwrap().is_none());
        let why = s.withheld(&key("golem:a/app_key")).unwrap().unwrap();
        assert!(why.contains("enter it again"), "{why}");
        s.set(&key("golem:a/app_key"), Sensitive::new("k2".into()))
            .unwrap();
        assert_eq!(
            s.get(&key("golem:a/app_key")).unwrap().unwrap().expose(),
            "k2"
        );
    }

    #[test]
    fn plain_http_off_loopback_needs_an_explicit_allowance() {
        let mut remote = ep("http://10.0.0.5:7465");
        let (_, s) = store(&[
            ("golem:a/", remote.clone()),
            ("golem:b/", ep("http://127.0.0.1:7465")),
        ]);
        for k in ["golem:a/app_key", "golem:b/app_key"] {
            s.set(&key(k), Sensitive::new("k".into())).unwrap();
        }
        assert!(s.get(&key("golem:a/app_key")).unwrap().is_none());
        assert!(s.get(&key("golem:b/app_key")).unwrap().is_some());
        remote.allow_insecure_http = true;
        s.set_endpoints(BTreeMap::from([("golem:a/".to_owned(), remote)]));
        assert!(s.get(&key("golem:a/app_key")).unwrap().is_some());
    }

    #[test]
    fn the_config_allowance_reaches_only_its_own_endpoint() {
        let mut c = Config::default();
        c.protocols.golem.enabled = true;
        c.protocols.golem.api_endpoint = "http://10.0.0.5:7465".into();
        c.protocols.golem.allow_insecure_http = true;
        c.protocols.golem.nodes = vec![orcha_core::config::ExtraNode {
            name: "b".into(),
            api_endpoint: "http://10.0.0.6:7465".into(),
            allow_insecure_http: false,
        }];
        c.alerts.ntfy_url = "http://ntfy.lan/t".into();
        c.alerts.webhook_url = "http://hook.lan/x".into();
        c.alerts.allow_insecure_http = vec!["ntfy".into()];
        let e = endpoints_of(&c);
        assert!(e["golem:main/"].insecure().is_none());
        assert!(e["golem:b/"].insecure().is_some());
        assert!(e["alerts:ntfy/token"].insecure().is_none());
        assert!(e["alerts:webhook/token"].insecure().is_some());
    }

    #[test]
    fn smtp_without_tls_only_to_loopback() {
        let mut c = Config::default();
        c.alerts.smtp_host = "mail.example".into();
        c.alerts.smtp_security = "none".into();
        let e = endpoints_of(&c)["alerts:smtp/password"].clone();
        assert!(e.insecure().is_some());
        c.alerts.smtp_host = "127.0.0.1".into();
        assert!(endpoints_of(&c)["alerts:smtp/password"]
            .insecure()
            .is_none());
        c.alerts.smtp_host = "mail.example".into();
        c.alerts.smtp_security = "starttls".into();
        assert!(endpoints_of(&c)["alerts:smtp/password"]
            .insecure()
            .is_none());
    }

    #[test]
    fn a_credential_stored_before_bindings_is_bound_on_first_read() {
        let (inner, s) = store(&[("alerts:ntfy/token", ep("https://ntfy.example/t"))]);
        inner
            .set(&key("alerts:ntfy/token"), Sensitive::new("tok".into()))
            .unwrap();
        assert!(s.get(&key("alerts:ntfy/token")).unwrap().is_some());
        assert_eq!(
            inner
                .get(&key("alerts:ntfy/token#host"))
                .unwrap()
                .unwrap()
                .expose(),
            "ntfy.example"
        );
        s.set_endpoints(BTreeMap::from([(
            "alerts:ntfy/token".to_owned(),
            ep("https://other.example/t"),
        )]));
        assert!(s.get(&key("alerts:ntfy/token")).unwrap().is_none());
    }
}
