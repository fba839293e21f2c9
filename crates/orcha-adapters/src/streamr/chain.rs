//! Streamr on-chain reads: JSON-RPC `eth_call`s against the Operator contract and DATA, and their ABI decoding.

use std::collections::BTreeMap;

use orcha_core::{AdapterError, Money, Token};
use serde_json::{json, Value};

use super::client::redact_err;
use super::model::{OnChain, SponsorshipEarnings, WalletBalance};
use super::normalize::{malformed, sum};
use super::{data, pol, StreamrAdapter, ABSURD_WEI, DATA_TOKEN};
use crate::probe::decode;
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;

// The calls the adapter makes, declared as in the official ABIs (vendored under
// `abi/streamr-network-contracts-9.1.0/`; `tests/streamr_abi.rs` proves each is there with these
// inputs, outputs and selectors). alloy encodes the calls and decodes the answers.
alloy_sol_types::sol! {
    interface IOperator {
        function getSponsorshipsAndEarnings() external view returns (address[] addresses, uint256[] earnings, uint256 maxAllowedEarnings);
        function valueWithoutEarnings() external view returns (uint256);
        function metadata() external view returns (string);
    }
    interface IDATAv2 {
        function balanceOf(address account) external view returns (uint256);
    }
}

pub use IDATAv2::balanceOfCall;
pub use IOperator::{getSponsorshipsAndEarningsCall, metadataCall, valueWithoutEarningsCall};

/// The bytes of an `eth_call` result; `0x` alone means the address has no code.
fn result_bytes(endpoint: &str, method: &str, hex: &str) -> Result<Vec<u8>, AdapterError> {
    let bad = |why: &str| malformed(endpoint, format!("result of {method}: {why}"));
    let h = hex.strip_prefix("0x").ok_or_else(|| bad("not 0x-hex"))?;
    if h.is_empty() {
        // A call to an address without code returns "0x": the address is not an Operator.
        return Err(bad(
            "empty result (is operator_address an Operator contract?)",
        ));
    }
    alloy_primitives::hex::decode(h).map_err(|e| bad(&format!("not hex ({e})")))
}

/// Decodes one call's answer with the call's own return types.
fn decode_returns<C: SolCall>(endpoint: &str, hex: &str) -> Result<C::Return, AdapterError> {
    let bytes = result_bytes(endpoint, C::SIGNATURE, hex)?;
    C::abi_decode_returns(&bytes)
        .map_err(|e| malformed(endpoint, format!("result of {}: {e}", C::SIGNATURE)))
}

/// A token amount of 18 decimals, refused above DATA's whole supply (a broken payload).
fn wei(endpoint: &str, what: &str, v: U256, token: Token) -> Result<Money, AdapterError> {
    let v = u128::try_from(v)
        .ok()
        .and_then(|v| i128::try_from(v).ok())
        .filter(|v| *v <= ABSURD_WEI)
        .ok_or_else(|| malformed(endpoint, format!("{what}: not a plausible amount")))?;
    Ok(Money::new(token, v, 18))
}

/// The calldata of a call, as the `0x`-hex JSON-RPC wants.
fn calldata<C: SolCall>(call: &C) -> String {
    format!("0x{}", alloy_primitives::hex::encode(call.abi_encode()))
}

/// Decodes `(address[] addresses, uint[] earnings, uint maxAllowedEarnings)`.
pub(super) fn decode_sponsorships(
    endpoint: &str,
    hex: &str,
) -> Result<(Vec<SponsorshipEarnings>, Money), AdapterError> {
    let m = getSponsorshipsAndEarningsCall::SIGNATURE;
    let r = decode_returns::<getSponsorshipsAndEarningsCall>(endpoint, hex)?;
    let max_allowed = wei(
        endpoint,
        &format!("{m} maxAllowedEarnings"),
        r.maxAllowedEarnings,
        Token::Data,
    )?;
    if r.addresses.len() != r.earnings.len() {
        return Err(malformed(
            endpoint,
            format!("result of {m}: addresses and earnings differ in length"),
        ));
    }
    let mut out = Vec::new();
    for (i, (a, e)) in r.addresses.iter().zip(&r.earnings).enumerate() {
        out.push(SponsorshipEarnings {
            // Lower-case hex, as the subgraph and the node write addresses.
            sponsorship: format!("0x{}", alloy_primitives::hex::encode(a.as_slice())),
            earnings: wei(endpoint, &format!("{m} earnings[{i}]"), *e, Token::Data)?,
        });
    }
    Ok((out, max_allowed))
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
        let operator: Address = op.parse().map_err(|e| AdapterError::Unsupported {
            what: format!(
                "{}: operator_address `{op}` is not an address: {e}",
                self.node
            ),
        })?;
        let call = |to: &str, data: String| json!([{ "to": to, "data": data }, "latest"]);
        let mut calls: Vec<(&str, Value)> = vec![
            (
                "eth_call",
                call(op, calldata(&getSponsorshipsAndEarningsCall {})),
            ),
            ("eth_call", call(op, calldata(&valueWithoutEarningsCall {}))),
            (
                "eth_call",
                call(DATA_TOKEN, calldata(&balanceOfCall { account: operator })),
            ),
        ];
        for w in node_wallets {
            calls.push(("eth_getBalance", json!([w, "latest"])));
        }
        calls.push(("eth_call", call(op, calldata(&metadataCall {}))));
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
        let mut amount = |i: usize, decoded: Result<U256, AdapterError>| -> Option<Money> {
            decoded
                .and_then(|v| wei(&ep, &label(i), v, Token::Data))
                .map_err(|e| errors.push(e.to_string()))
                .ok()
        };
        let value_without_earnings = amount(
            1,
            result(1)
                .map_err(|e| malformed(&ep, e))
                .and_then(|hex| decode_returns::<valueWithoutEarningsCall>(&ep, hex)),
        );
        let data_balance = amount(
            2,
            result(2)
                .map_err(|e| malformed(&ep, e))
                .and_then(|hex| decode_returns::<balanceOfCall>(&ep, hex)),
        );
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
            .and_then(|hex| decode_returns::<metadataCall>(&ep, hex))
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
