//! Streamr HTTP client: the `info` plugin, the subgraph transport, and endpoints shown without credentials.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, Money, NodeId, ProtocolId};
use serde_json::{json, Value};

use super::model::{ConsoleMetrics, InfoReading, StreamPart, StreamrEarnings};
use super::normalize::{malformed, node_id_hex, parse_console_metrics};
use super::wire::RawInfo;
use super::{StreamrAdapter, StreamrSettings, INFO_KEY_HINT, INFO_PLUGIN_OFFER, SUBGRAPH_KEY_HINT};
use crate::http::{Auth, JsonClient};
use crate::probe::decode;

/// Shows an endpoint without credentials some providers put in the URL (The Graph's
/// `/api/<key>/subgraphs/…`, RPC providers' `/v2/<key>`): scheme, host and port only, plus the
/// subgraph id when there is one.
pub(super) fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.rsplit('@').next().unwrap_or(host);
    let tail = rest
        .find("/subgraphs/")
        .map(|i| &rest[i..])
        .unwrap_or(if rest.contains('/') { "/…" } else { "" });
    if scheme.is_empty() {
        format!("{host}{tail}")
    } else {
        format!("{scheme}://{host}{tail}")
    }
}

/// Replaces the real URL in an error's endpoint with its redacted form.
pub(super) fn redact_err(e: AdapterError, real: &str, shown: &str) -> AdapterError {
    let fix = |s: String| s.replace(real, shown);
    match e {
        AdapterError::Unreachable { endpoint, reason } => AdapterError::Unreachable {
            endpoint: fix(endpoint),
            reason: fix(reason),
        },
        AdapterError::Unauthorized { endpoint, hint } => AdapterError::Unauthorized {
            endpoint: fix(endpoint),
            hint,
        },
        AdapterError::RateLimited {
            endpoint,
            retry_after,
        } => AdapterError::RateLimited {
            endpoint: fix(endpoint),
            retry_after,
        },
        AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
            endpoint: fix(endpoint),
            what: fix(what),
        },
        AdapterError::Timeout { endpoint, after } => AdapterError::Timeout {
            endpoint: fix(endpoint),
            after,
        },
        other => other,
    }
}

impl StreamrAdapter {
    pub fn new(node: NodeId, mut settings: StreamrSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Streamr {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a streamr node"),
            });
        }
        settings.operator_address = settings
            .operator_address
            .take()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty());
        if let Some(a) = &settings.operator_address {
            let ok = a.len() == 42
                && a.starts_with("0x")
                && a[2..].bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{node}: operator_address `{a}` is not a 0x-prefixed 20-byte address"
                    ),
                });
            }
        }
        let info = match settings.info_endpoint.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => Some(JsonClient::new(
                e,
                settings.timeout,
                settings.info_key.clone().map_or(Auth::None, Auth::Bearer),
                INFO_KEY_HINT,
            )?),
            None => None,
        };
        let subgraph = JsonClient::new(
            &settings.subgraph_url,
            settings.timeout,
            settings
                .subgraph_key
                .clone()
                .map_or(Auth::None, Auth::Bearer),
            SUBGRAPH_KEY_HINT,
        )?;
        let rpc = match settings.rpc_url.as_deref().filter(|e| !e.is_empty()) {
            Some(u) => Some(JsonClient::new(
                u,
                settings.timeout,
                Auth::None,
                "the Polygon RPC endpoint refused the request: check rpc_url",
            )?),
            None => None,
        };
        Ok(StreamrAdapter {
            subgraph_shown: redact_url(subgraph.base()),
            rpc_shown: rpc.as_ref().map_or(String::new(), |r| redact_url(r.base())),
            node,
            info,
            subgraph,
            rpc,
            settings,
            last_slashings: Mutex::new(None),
            subgraph_cache: Mutex::new(BTreeMap::new()),
        })
    }

    pub(super) fn operator(&self) -> Result<&str, AdapterError> {
        self.settings.operator_address.as_deref().ok_or_else(|| AdapterError::Unsupported {
            what: format!(
                "{}: no Operator contract address; set protocols.streamr.operator_address (shown on your operator page in the Streamr Hub)",
                self.node
            ),
        })
    }

    /// `GET /info` of the node's info plugin.
    pub async fn info(&self) -> Result<InfoReading, AdapterError> {
        let client = self
            .info
            .as_ref()
            .ok_or_else(|| AdapterError::Unsupported {
                what: format!(
                    "{}: the info plugin is not configured. {INFO_PLUGIN_OFFER}",
                    self.node
                ),
            })?;
        let body = client.get_bytes("/info").await?;
        let url = client.url("/info");
        let raw: RawInfo = decode(&url, &body)?;
        let Some(control) = raw.control_layer else {
            return Ok(InfoReading {
                diagnostic: false,
                node_id: None,
                websocket: None,
                tls: None,
                connection_count: None,
                neighbor_count: None,
                stream_parts: Vec::new(),
            });
        };
        let pd = control.local_peer_descriptor;
        let node_id = match &pd.node_id {
            Some(v) => Some(node_id_hex(v).ok_or_else(|| {
                malformed(
                    &url,
                    "field `controlLayer.localPeerDescriptor.nodeId`: not a byte array".to_owned(),
                )
            })?),
            None => None,
        };
        Ok(InfoReading {
            diagnostic: true,
            node_id,
            websocket: pd
                .websocket
                .as_ref()
                .map(|w| format!("{}:{}", w.host, w.port)),
            tls: pd.websocket.as_ref().map(|w| w.tls),
            connection_count: Some(control.transport.connection_count),
            neighbor_count: Some(control.neighbor_count),
            stream_parts: raw
                .content_layer
                .map(|c| c.stream_parts)
                .unwrap_or_default()
                .into_iter()
                .map(|p| StreamPart {
                    id: p.id,
                    neighbor_count: p.info.neighbor_count,
                    messages_propagated: p.info.messages_propagated,
                })
                .collect(),
        })
    }

    /// POSTs one GraphQL operation; an `errors` array is `Malformed` with the server's messages.
    pub(super) async fn graphql<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        query: &str,
        variables: Value,
    ) -> Result<T, AdapterError> {
        let real = self.subgraph.base().to_owned();
        let endpoint = format!("{} ({op})", self.subgraph_shown);
        let key = format!("{op} {variables}");
        let now = self.now();
        let fresh_for = chrono::Duration::from_std(self.settings.subgraph_refresh)
            .unwrap_or(chrono::Duration::MAX);
        let cached = self
            .subgraph_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .filter(|(at, _)| now - *at < fresh_for)
            .map(|(_, v)| v.clone());
        if let Some(data) = cached {
            return self.typed_data(&endpoint, &data);
        }
        let body = json!({ "operationName": op, "query": query, "variables": variables });
        let answer = self
            .subgraph
            .post_bytes("", &body)
            .await
            .map_err(|e| redact_err(e, &real, &endpoint))?;
        let v: Value = decode(&endpoint, &answer)?;
        if let Some(errors) = v
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let msgs: Vec<String> = errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("(no message)")
                        .to_owned()
                })
                .collect();
            return Err(malformed(
                &endpoint,
                format!("GraphQL errors: {}", msgs.join("; ")),
            ));
        }
        let data = v
            .get("data")
            .filter(|d| !d.is_null())
            .ok_or_else(|| malformed(&endpoint, "no `data` in the answer".to_owned()))?;
        // Only answers that decode are kept, so a broken one is asked for again next time.
        let typed = self.typed_data(&endpoint, data)?;
        if !self.settings.subgraph_refresh.is_zero() {
            self.subgraph_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, (now, data.clone()));
        }
        Ok(typed)
    }

    pub(super) fn typed_data<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        data: &Value,
    ) -> Result<T, AdapterError> {
        let text = serde_json::to_vec(data).map_err(|e| malformed(endpoint, e.to_string()))?;
        decode(endpoint, &text).map_err(|e| match e {
            AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
                endpoint,
                what: what.replacen("field `", "field `data.", 1),
            },
            other => other,
        })
    }
}

impl StreamrAdapter {
    /// The contract's collected, uncollected and their sum (exact when an RPC endpoint is set),
    /// and the owner's own part of them, from the contract's fields (needs the RPC endpoint).
    pub async fn earnings(&self) -> Result<StreamrEarnings, AdapterError> {
        let o = self.overview().await?;
        let (uncollected, source) = if self.rpc.is_some() {
            (self.on_chain(&[]).await?.uncollected, "rpc")
        } else {
            (o.uncollected_estimate, "subgraph")
        };
        let lifetime = o
            .cumulative_earnings
            .checked_add(&uncollected)
            .map_err(|e| {
                malformed(
                    &self.subgraph_shown,
                    format!("field `cumulativeEarningsWei`: {e}"),
                )
            })?;
        let owner = if self.rpc.is_some() {
            self.owner_part(&o, &uncollected).await
        } else {
            Err("the owner's share is read from the Operator contract: set protocols.streamr.rpc_url".to_owned())
        };
        let (owner_collected, owner_uncollected, owner_error) = match owner {
            Ok((c, u)) => (Some(c), Some(u), None),
            Err(e) => (None, None, Some(e)),
        };
        Ok(StreamrEarnings {
            collected_lifetime: o.cumulative_earnings,
            uncollected,
            uncollected_source: source.to_owned(),
            lifetime,
            owner_collected,
            owner_uncollected,
            owner_error,
        })
    }

    async fn owner_part(
        &self,
        o: &super::model::OperatorOverview,
        uncollected: &Money,
    ) -> Result<(Money, Money), String> {
        let position = self.owner_position().await.map_err(|e| e.to_string())?;
        let fee = self.network().await.map_err(|e| e.to_string())?;
        let fee = Money::parse_decimal(&fee.protocol_fee_fraction, orcha_core::Token::Data, 18)
            .map_err(|e| format!("protocolFeeFraction: {e}"))?;
        let fee = alloy_primitives::U256::from(
            u128::try_from(fee.amount).map_err(|_| "protocolFeeFraction is negative".to_owned())?,
        );
        super::owner::owner_earnings(
            &position,
            fee,
            &o.cumulative_operators_cut,
            &o.cumulative_profits,
            uncollected,
        )
        .ok_or_else(|| {
            format!(
                "the Operator contract's position of {} is not consistent (cut, tokens or fee out of range)",
                position.owner
            )
        })
    }

    /// The newest `consoleMetrics` report in the configured log file (its last 256 KiB).
    pub async fn console_metrics(&self) -> Option<ConsoleMetrics> {
        let path = self.settings.console_log.clone()?;
        let text = tokio::time::timeout(self.settings.timeout, async move {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            let mut f = tokio::fs::File::open(&path).await.ok()?;
            let len = f.metadata().await.ok()?.len();
            let from = len.saturating_sub(256 * 1024);
            f.seek(std::io::SeekFrom::Start(from)).await.ok()?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).await.ok()?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        })
        .await
        .ok()
        .flatten()?;
        parse_console_metrics(&text)
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        self.settings.clock.now()
    }
}
