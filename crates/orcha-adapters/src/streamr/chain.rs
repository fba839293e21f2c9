//! Streamr on-chain reads: JSON-RPC `eth_call`s against the Operator contract and DATA, and their ABI decoding.

use std::collections::BTreeMap;

use orcha_core::{AdapterError, Money, Token};
use serde_json::{json, Value};

use super::client::redact_err;
use super::model::{OnChain, SponsorshipEarnings, WalletBalance};
use super::normalize::{malformed, sum};
use super::{data, pol, StreamrAdapter, ABSURD_WEI, DATA_TOKEN};
use crate::probe::decode;

/// `getSponsorshipsAndEarnings()`, `valueWithoutEarnings()`, `metadata()`, `balanceOf(address)`.
const SEL_SPONSORSHIPS_AND_EARNINGS: &str = "0x2ebd89d1";
const SEL_VALUE_WITHOUT_EARNINGS: &str = "0xc229918e";
const SEL_METADATA: &str = "0x392f37e9";
const SEL_BALANCE_OF: &str = "0x70a08231";

/// 32-byte ABI words of an `eth_call` result.
pub(super) fn abi_words(
    endpoint: &str,
    method: &str,
    hex: &str,
) -> Result<Vec<[u8; 32]>, AdapterError> {
    let bad = |why: &str| malformed(endpoint, format!("result of {method}: {why}"));
    let h = hex.strip_prefix("0x").ok_or_else(|| bad("not 0x-hex"))?;
    if h.is_empty() {
        // A call to an address without code returns "0x": the address is not an Operator.
        return Err(bad(
            "empty result (is operator_address an Operator contract?)",
        ));
    }
    if h.len() % 64 != 0 {
        return Err(bad("not a whole number of 32-byte words"));
    }
    let bytes = h.as_bytes();
    let mut words = Vec::with_capacity(h.len() / 64);
    for chunk in bytes.chunks(64) {
        let mut w = [0u8; 32];
        for (i, pair) in chunk.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| bad("not hex"))?;
            w[i] = u8::from_str_radix(s, 16).map_err(|_| bad("not hex"))?;
        }
        words.push(w);
    }
    Ok(words)
}

pub(super) fn word_u128(w: &[u8; 32]) -> Option<u128> {
    if w[..16].iter().any(|b| *b != 0) {
        return None;
    }
    let mut v: u128 = 0;
    for b in &w[16..] {
        v = (v << 8) | u128::from(*b);
    }
    Some(v)
}

pub(super) fn word_usize(w: &[u8; 32]) -> Option<usize> {
    word_u128(w).and_then(|v| usize::try_from(v).ok())
}

pub(super) fn word_wei(
    endpoint: &str,
    what: &str,
    w: &[u8; 32],
    token: Token,
) -> Result<Money, AdapterError> {
    let v = word_u128(w)
        .and_then(|v| i128::try_from(v).ok())
        .filter(|v| *v <= ABSURD_WEI)
        .ok_or_else(|| malformed(endpoint, format!("{what}: not a plausible amount")))?;
    Ok(Money::new(token, v, 18))
}

/// Decodes `(address[] addresses, uint[] earnings, uint maxAllowedEarnings)`.
pub(super) fn decode_sponsorships(
    endpoint: &str,
    hex: &str,
) -> Result<(Vec<SponsorshipEarnings>, Money), AdapterError> {
    let m = "getSponsorshipsAndEarnings()";
    let words = abi_words(endpoint, m, hex)?;
    let bad = |why: &str| malformed(endpoint, format!("result of {m}: {why}"));
    if words.len() < 3 {
        return Err(bad("shorter than its head"));
    }
    let max_allowed = word_wei(
        endpoint,
        &format!("{m} maxAllowedEarnings"),
        &words[2],
        Token::Data,
    )?;
    let array = |offset_word: &[u8; 32]| -> Result<&[[u8; 32]], AdapterError> {
        let off = word_usize(offset_word)
            .filter(|o| o % 32 == 0)
            .ok_or_else(|| bad("bad array offset"))?
            / 32;
        let len = words
            .get(off)
            .and_then(word_usize)
            .ok_or_else(|| bad("bad array length"))?;
        words
            .get(off + 1..off + 1 + len)
            .ok_or_else(|| bad("array runs past the end"))
    };
    let addrs = array(&words[0])?;
    let earnings = array(&words[1])?;
    if addrs.len() != earnings.len() {
        return Err(bad("addresses and earnings differ in length"));
    }
    let mut out = Vec::new();
    for (i, (a, e)) in addrs.iter().zip(earnings).enumerate() {
        if a[..12].iter().any(|b| *b != 0) {
            return Err(bad(&format!("addresses[{i}] is not an address")));
        }
        let address = format!(
            "0x{}",
            a[12..]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        out.push(SponsorshipEarnings {
            sponsorship: address,
            earnings: word_wei(endpoint, &format!("{m} earnings[{i}]"), e, Token::Data)?,
        });
    }
    Ok((out, max_allowed))
}

pub(super) fn decode_string(
    endpoint: &str,
    method: &str,
    hex: &str,
) -> Result<String, AdapterError> {
    let words = abi_words(endpoint, method, hex)?;
    let bad = |why: &str| malformed(endpoint, format!("result of {method}: {why}"));
    let off = words
        .first()
        .and_then(word_usize)
        .filter(|o| o % 32 == 0)
        .ok_or_else(|| bad("bad string offset"))?
        / 32;
    let len = words
        .get(off)
        .and_then(word_usize)
        .ok_or_else(|| bad("bad string length"))?;
    let bytes: Vec<u8> = words
        .get(off + 1..)
        .unwrap_or_default()
        .iter()
        .flatten()
        .copied()
        .take(len)
        .collect();
    if bytes.len() != len {
        return Err(bad("string runs past the end"));
    }
    String::from_utf8(bytes).map_err(|_| bad("not UTF-8"))
}

/// An `eth_getBalance` quantity (`0x22b1c8c1227a0000`).
pub(super) fn decode_quantity(endpoint: &str, hex: &str) -> Result<Money, AdapterError> {
    let bad = || {
        malformed(
            endpoint,
            format!("result of eth_getBalance: `{hex}` is not a quantity"),
        )
    };
    let h = hex.strip_prefix("0x").ok_or_else(bad)?;
    let v = u128::from_str_radix(if h.is_empty() { "0" } else { h }, 16).map_err(|_| bad())?;
    let v = i128::try_from(v).map_err(|_| bad())?;
    Ok(pol(v))
}

impl StreamrAdapter {
    /// One JSON-RPC batch against the Operator contract, DATA and the node wallets.
    pub async fn on_chain(&self, node_wallets: &[String]) -> Result<OnChain, AdapterError> {
        let op = self.operator()?;
        let rpc = self.rpc.as_ref().ok_or_else(|| AdapterError::Unsupported {
            what: format!(
                "{}: no Polygon RPC endpoint; set protocols.streamr.rpc_url",
                self.node
            ),
        })?;
        let call = |to: &str, data: String| json!([{ "to": to, "data": data }, "latest"]);
        let mut calls: Vec<(&str, Value)> = vec![
            (
                "eth_call",
                call(op, SEL_SPONSORSHIPS_AND_EARNINGS.to_owned()),
            ),
            ("eth_call", call(op, SEL_VALUE_WITHOUT_EARNINGS.to_owned())),
            (
                "eth_call",
                call(DATA_TOKEN, format!("{SEL_BALANCE_OF}{:0>64}", &op[2..])),
            ),
        ];
        for w in node_wallets {
            calls.push(("eth_getBalance", json!([w, "latest"])));
        }
        calls.push(("eth_call", call(op, SEL_METADATA.to_owned())));
        let batch: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| json!({ "jsonrpc": "2.0", "id": i + 1, "method": m, "params": p }))
            .collect();
        let real = rpc.base().to_owned();
        let ep = self.rpc_shown.clone();
        let answer = rpc
            .post_bytes("", &Value::Array(batch))
            .await
            .map_err(|e| redact_err(e, &real, &ep))?;
        let v: Value = decode(&ep, &answer)?;
        // A provider that does not take batches answers one error object for the whole request.
        let items = match v {
            Value::Array(items) => items,
            Value::Object(o) if o.contains_key("error") => {
                return Err(malformed(
                    &ep,
                    format!("RPC error for the batch: {}", rpc_error(&o["error"])),
                ));
            }
            _ => {
                return Err(malformed(
                    &ep,
                    "the batch answer is not an array".to_owned(),
                ))
            }
        };
        let mut by_id: BTreeMap<u64, &Value> = BTreeMap::new();
        for item in &items {
            if let Some(id) = item.get("id").and_then(Value::as_u64) {
                by_id.insert(id, item);
            }
        }
        let label = |i: usize| -> String {
            match i {
                0 => "getSponsorshipsAndEarnings()".to_owned(),
                1 => "valueWithoutEarnings()".to_owned(),
                2 => "DATA balanceOf(operator)".to_owned(),
                i if i == calls.len() - 1 => "metadata()".to_owned(),
                i => format!("eth_getBalance({})", node_wallets[i - 3]),
            }
        };
        let result = |i: usize| -> Result<&str, String> {
            let item = by_id
                .get(&(i as u64 + 1))
                .ok_or_else(|| format!("{}: no answer in the batch", label(i)))?;
            if let Some(err) = item.get("error") {
                return Err(format!("{}: RPC error {}", label(i), rpc_error(err)));
            }
            item.get("result")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: no `result`", label(i)))
        };
        let mut errors = Vec::new();
        let hex = result(0).map_err(|e| malformed(&ep, e))?;
        let (sponsorships, max_allowed_earnings) = decode_sponsorships(&ep, hex)?;
        let earnings: Vec<Money> = sponsorships.iter().map(|s| s.earnings).collect();
        let uncollected = sum(
            &ep,
            "getSponsorshipsAndEarnings() earnings",
            &earnings,
            data(0),
        )?;
        let mut word = |i: usize| -> Option<Money> {
            let r = result(i).map_err(|e| malformed(&ep, e)).and_then(|hex| {
                let w = abi_words(&ep, &label(i), hex)?;
                let first = w
                    .first()
                    .ok_or_else(|| malformed(&ep, format!("{}: empty", label(i))))?;
                word_wei(&ep, &label(i), first, Token::Data)
            });
            r.map_err(|e| errors.push(e.to_string())).ok()
        };
        let value_without_earnings = word(1);
        let data_balance = word(2);
        let mut node_balances = Vec::new();
        for (k, w) in node_wallets.iter().enumerate() {
            let r = result(3 + k)
                .map_err(|e| malformed(&ep, e))
                .and_then(|hex| decode_quantity(&ep, hex));
            let (balance, error) = match r {
                Ok(b) => (Some(b), None),
                Err(e) => {
                    errors.push(e.to_string());
                    (None, Some(e.to_string()))
                }
            };
            node_balances.push(WalletBalance {
                address: w.clone(),
                balance,
                error,
            });
        }
        let metadata = match result(calls.len() - 1)
            .map_err(|e| malformed(&ep, e))
            .and_then(|hex| decode_string(&ep, "metadata()", hex))
        {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        Ok(OnChain {
            sponsorships,
            uncollected,
            max_allowed_earnings,
            value_without_earnings,
            data_balance,
            node_balances,
            metadata,
            errors,
        })
    }
}

pub(super) fn rpc_error(err: &Value) -> String {
    let code = err.get("code").map_or("?".to_owned(), Value::to_string);
    let msg = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    format!("{code}: {msg}")
}
