//! Notification channels: ntfy, a generic JSON webhook, Discord, Telegram and e-mail (SMTP).
//!
//! Every send has a timeout and reports a `ChannelError` whose text never holds a credential:
//! URLs are stripped from HTTP errors because webhook and Telegram URLs embed tokens.

use std::sync::Arc;
use std::time::Duration;

use orcha_core::config::AlertsConfig;
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};

use crate::dto::AlertNotificationDto;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelKind {
    Ntfy,
    Webhook,
    Discord,
    Telegram,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Ntfy,
        ChannelKind::Webhook,
        ChannelKind::Discord,
        ChannelKind::Telegram,
        ChannelKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Discord => "discord",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Email => "email",
        }
    }

    /// The keyring name of the channel (`alerts:<this>/<kind>`).
    fn secret_scope(self) -> &'static str {
        match self {
            ChannelKind::Email => "smtp",
            other => other.as_str(),
        }
    }
}

/// The channel credentials Orcha knows: `alerts:<channel>/<kind>`.
pub const CHANNEL_SECRETS: [&str; 6] = [
    "ntfy/token",
    "webhook/url",
    "webhook/token",
    "discord/url",
    "telegram/token",
    "smtp/password",
];

/// Validates a channel credential name such as `alerts:telegram/token`.
pub fn secret_key(key: &str) -> Option<SecretKey> {
    let rest = key.strip_prefix("alerts:")?;
    CHANNEL_SECRETS
        .contains(&rest)
        .then(|| SecretKey(key.to_owned()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    #[error("the keyring could not be read: {0}")]
    Keyring(String),
    #[error("the request failed: {0}")]
    Transport(String),
    #[error("the receiver answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("e-mail failed: {0}")]
    Smtp(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

/// Everything a send needs, resolved outside of the request path.
#[derive(Clone)]
pub struct SendContext {
    pub config: AlertsConfig,
    pub secrets: Arc<dyn SecretStore>,
    pub env: fn(&str) -> Option<String>,
}

impl SendContext {
    /// A channel credential: `ORCHA_ALERTS_<CHANNEL>_<KIND>` first (headless boxes), then the
    /// keyring. Read in a blocking task because the OS keyring may block.
    pub async fn secret(
        &self,
        channel: ChannelKind,
        kind: &str,
    ) -> Result<Option<Sensitive<String>>, ChannelError> {
        let scope = channel.secret_scope();
        let var = format!(
            "ORCHA_ALERTS_{}_{}",
            scope.to_ascii_uppercase(),
            kind.to_ascii_uppercase()
        );
        if let Some(v) = (self.env)(&var).filter(|v| !v.is_empty()) {
            return Ok(Some(Sensitive::new(v)));
        }
        let store = Arc::clone(&self.secrets);
        let key = SecretKey(format!("alerts:{scope}/{kind}"));
        tokio::task::spawn_blocking(move || store.get(&key))
            .await
            .map_err(|e| ChannelError::Keyring(e.to_string()))?
            .map_err(|e| ChannelError::Keyring(e.to_string()))
    }

    /// Whether a channel is set up (config, plus the credential where the channel needs one).
    pub async fn configured(&self, channel: ChannelKind) -> bool {
        let c = &self.config;
        match channel {
            ChannelKind::Ntfy => !c.ntfy_url.is_empty(),
            ChannelKind::Webhook => {
                !c.webhook_url.is_empty()
                    || matches!(self.secret(channel, "url").await, Ok(Some(_)))
            }
            ChannelKind::Discord => {
                c.discord && matches!(self.secret(channel, "url").await, Ok(Some(_)))
            }
            ChannelKind::Telegram => !c.telegram_chat_id.is_empty(),
            ChannelKind::Email => !c.smtp_host.is_empty() && !c.smtp_to.is_empty(),
        }
    }

    /// Sends one notification on one channel, within `send_timeout_secs`.
    pub async fn send(
        &self,
        channel: ChannelKind,
        note: &AlertNotificationDto,
    ) -> Result<(), ChannelError> {
        let secs = self.config.send_timeout_secs.max(1);
        match tokio::time::timeout(Duration::from_secs(secs), self.send_inner(channel, note)).await
        {
            Ok(r) => r,
            Err(_) => Err(ChannelError::Timeout(secs)),
        }
    }

    async fn send_inner(
        &self,
        channel: ChannelKind,
        note: &AlertNotificationDto,
    ) -> Result<(), ChannelError> {
        let timeout = Duration::from_secs(self.config.send_timeout_secs.max(1));
        // The whole send is bounded by `send` (one timeout, one clear error); the client only
        // bounds connecting.
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .build()
            .map_err(transport)?;
        let c = &self.config;
        match channel {
            ChannelKind::Ntfy => {
                if c.ntfy_url.is_empty() {
                    return Err(ChannelError::NotConfigured("ntfy_url"));
                }
                let mut req = http
                    .post(&c.ntfy_url)
                    .header("Title", title(note))
                    .header("Priority", ntfy_priority(&note.severity))
                    .header("Tags", ntfy_tags(note))
                    .body(body(note));
                if let Some(t) = self.secret(channel, "token").await? {
                    req = req.bearer_auth(t.expose());
                }
                check(req.send().await).await
            }
            ChannelKind::Webhook => {
                let url = match self.secret(channel, "url").await? {
                    Some(u) => u,
                    None if !c.webhook_url.is_empty() => Sensitive::new(c.webhook_url.clone()),
                    None => return Err(ChannelError::NotConfigured("webhook_url")),
                };
                let mut req = http.post(url.expose().as_str()).json(note);
                if let Some(t) = self.secret(channel, "token").await? {
                    req = req.bearer_auth(t.expose());
                }
                check(req.send().await).await
            }
            ChannelKind::Discord => {
                let url = self
                    .secret(channel, "url")
                    .await?
                    .ok_or(ChannelError::NotConfigured("alerts:discord/url"))?;
                let payload = serde_json::json!({
                    "username": "DePIN Orcha",
                    "content": format!("**{}**\n{}", title(note), body(note)),
                    "allowed_mentions": { "parse": [] },
                });
                check(http.post(url.expose().as_str()).json(&payload).send().await).await
            }
            ChannelKind::Telegram => {
                if c.telegram_chat_id.is_empty() {
                    return Err(ChannelError::NotConfigured("telegram_chat_id"));
                }
                let token = self
                    .secret(channel, "token")
                    .await?
                    .ok_or(ChannelError::NotConfigured("alerts:telegram/token"))?;
                let url = format!(
                    "{}/bot{}/sendMessage",
                    c.telegram_api_url.trim_end_matches('/'),
                    token.expose()
                );
                let payload = serde_json::json!({
                    "chat_id": c.telegram_chat_id,
                    "text": format!("{}\n{}", title(note), body(note)),
                    "disable_web_page_preview": true,
                });
                check(http.post(url).json(&payload).send().await).await
            }
            ChannelKind::Email => self.send_email(note, timeout).await,
        }
    }

    async fn send_email(
        &self,
        note: &AlertNotificationDto,
        timeout: Duration,
    ) -> Result<(), ChannelError> {
        use lettre::message::header::ContentType;
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

        let c = &self.config;
        if c.smtp_host.is_empty() || c.smtp_to.is_empty() {
            return Err(ChannelError::NotConfigured("smtp_host / smtp_to"));
        }
        let smtp = |e: &dyn std::fmt::Display| ChannelError::Smtp(e.to_string());
        let from = if c.smtp_from.is_empty() {
            "DePIN Orcha <orcha@localhost>"
        } else {
            c.smtp_from.as_str()
        };
        let mut msg = Message::builder()
            .from(from.parse().map_err(|e| smtp(&e))?)
            .subject(title(note))
            .header(ContentType::TEXT_PLAIN);
        for to in c
            .smtp_to
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            msg = msg.to(to.parse().map_err(|e| smtp(&e))?);
        }
        let msg = msg.body(body(note)).map_err(|e| smtp(&e))?;
        let builder = match c.smtp_security.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.smtp_host),
            "tls" => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&c.smtp_host).map_err(|e| smtp(&e))?
            }
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.smtp_host)
                .map_err(|e| smtp(&e))?,
        };
        let mut builder = builder.port(c.smtp_port).timeout(Some(timeout));
        if !c.smtp_username.is_empty() {
            let password = self
                .secret(ChannelKind::Email, "password")
                .await?
                .ok_or(ChannelError::NotConfigured("alerts:smtp/password"))?;
            builder = builder.credentials(Credentials::new(
                c.smtp_username.clone(),
                password.expose().clone(),
            ));
        }
        builder
            .build()
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| smtp(&e))
    }
}

/// An HTTP failure with its causes ("connection refused"), but without the URL.
fn transport(e: reqwest::Error) -> ChannelError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    ChannelError::Transport(text)
}

/// Turns a response into Ok for 2xx, else an error with a short, URL-free description.
async fn check(r: reqwest::Result<reqwest::Response>) -> Result<(), ChannelError> {
    let resp = r.map_err(transport)?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    Err(ChannelError::Status {
        status: status.as_u16(),
        body: text.chars().take(200).collect(),
    })
}

/// One line naming the state, severity, rule and node.
pub fn title(n: &AlertNotificationDto) -> String {
    let what = match n.state.as_str() {
        "cleared" => "Resolved",
        "test" => "Test",
        _ => "Alert",
    };
    let node = n.node.as_deref().unwrap_or("Orcha");
    format!("{what} [{}] {} on {node}", n.severity, n.rule)
}

pub fn body(n: &AlertNotificationDto) -> String {
    format!("{} ({})", n.message, n.at.to_rfc3339())
}

fn ntfy_priority(severity: &str) -> &'static str {
    match severity {
        "critical" => "5",
        "warning" => "4",
        _ => "3",
    }
}

fn ntfy_tags(n: &AlertNotificationDto) -> String {
    let icon = match (n.state.as_str(), n.severity.as_str()) {
        ("cleared", _) => "white_check_mark",
        (_, "critical") => "rotating_light",
        (_, "warning") => "warning",
        _ => "information_source",
    };
    format!("{icon},{}", n.rule)
}
