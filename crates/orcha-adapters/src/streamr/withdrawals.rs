//! The owner's withdrawals from the Operator contract (its `Undelegated` events) as payouts.
//!
//! Streamr pays nobody automatically: earnings stay in the operator's value until a delegator
//! undelegates, and the contract then emits `Undelegated(delegator, amountDataWei)` as the DATA
//! reaches the delegator's wallet. The owner's own undelegations are the owner's payouts. Read
//! with `eth_getLogs` (the contract's own record, filtered by the owner as indexed topic), each
//! at its block's timestamp (`eth_getBlockByNumber`), the transaction hash as reference.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use orcha_core::{AdapterError, Money, PayoutEvent, PayoutKind, Token};
use serde_json::{json, Value};

use super::client::redact_err;
use super::normalize::malformed;
use super::owner::ownerCall;
use super::{StreamrAdapter, ABSURD_WEI};
use crate::probe::decode;

alloy_sol_types::sol! {
    event Undelegated(address indexed delegator, uint256 amountDataWei);
}

/// One `Undelegated` log of the owner, before its block's time is known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Withdrawal {
    block: u64,
    tx: String,
    log_index: u64,
    amount: U256,
}

fn quantity(hex: &str) -> Option<u64> {
    u64::from_str_radix(hex.strip_prefix("0x")?, 16).ok()
}

/// The owner's `Undelegated` logs from an `eth_getLogs` result (removed logs of a reorg skipped).
fn withdrawals(ep: &str, logs: &Value) -> Result<Vec<Withdrawal>, AdapterError> {
    let logs = logs
        .as_array()
        .ok_or_else(|| malformed(ep, "eth_getLogs: the result is not an array".to_owned()))?;
    let mut out = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        if log.get("removed").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let field = |name: &str| {
            log.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(ep, format!("eth_getLogs[{i}]: no `{name}`")))
        };
        let topic0 = log
            .pointer("/topics/0")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !topic0.eq_ignore_ascii_case(&Undelegated::SIGNATURE_HASH.to_string()) {
            continue;
        }
        let data = field("data")?;
        let bytes = alloy_primitives::hex::decode(data.strip_prefix("0x").unwrap_or(data))
            .map_err(|e| malformed(ep, format!("eth_getLogs[{i}].data: not hex ({e})")))?;
        if bytes.len() != 32 {
            return Err(malformed(
                ep,
                format!(
                    "eth_getLogs[{i}].data: {} bytes, Undelegated carries one uint256",
                    bytes.len()
                ),
            ));
        }
        let bad_qty =
            |name: &str| malformed(ep, format!("eth_getLogs[{i}].{name}: not a quantity"));
        out.push(Withdrawal {
            block: quantity(field("blockNumber")?).ok_or_else(|| bad_qty("blockNumber"))?,
            tx: field("transactionHash")?.to_ascii_lowercase(),
            log_index: quantity(field("logIndex")?).ok_or_else(|| bad_qty("logIndex"))?,
            amount: U256::from_be_slice(&bytes),
        });
    }
    Ok(out)
}

impl StreamrAdapter {
    /// Every withdrawal of the owner from the Operator contract, from the contract's beginning.
    pub async fn owner_withdrawals(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        let op = self.operator()?.to_owned();
        let ep = self.rpc_shown.clone();
        let owner_hex = self
            .rpc_batch(vec![(
                ownerCall::SIGNATURE.to_owned(),
                "eth_call",
                json!([{ "to": op, "data": format!("0x{}", alloy_primitives::hex::encode(ownerCall {}.abi_encode())) }, "latest"]),
            )])
            .await?;
        let owner_bytes = owner_hex[0]
            .as_str()
            .and_then(|h| alloy_primitives::hex::decode(h.strip_prefix("0x").unwrap_or(h)).ok())
            .ok_or_else(|| malformed(&ep, "result of owner(): not hex".to_owned()))?;
        let owner: Address = ownerCall::abi_decode_returns(&owner_bytes)
            .map_err(|e| malformed(&ep, format!("result of owner(): {e}")))?;
        let owner_topic = format!("0x{:0>64}", alloy_primitives::hex::encode(owner.as_slice()));
        // The whole history in one filter: few logs match (one contract, one delegator), but a
        // provider that caps the block range answers an error, reported as what it could not give.
        let logs = self
            .rpc_batch(vec![(
                "eth_getLogs(Undelegated, owner)".to_owned(),
                "eth_getLogs",
                json!([{
                    "address": op,
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "topics": [Undelegated::SIGNATURE_HASH.to_string(), owner_topic],
                }]),
            )])
            .await?;
        let found = withdrawals(&ep, &logs[0])?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let blocks: Vec<u64> = found
            .iter()
            .map(|w| w.block)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let answers = self
            .rpc_batch(
                blocks
                    .iter()
                    .map(|b| {
                        (
                            format!("eth_getBlockByNumber({b})"),
                            "eth_getBlockByNumber",
                            json!([format!("0x{b:x}"), false]),
                        )
                    })
                    .collect(),
            )
            .await?;
        let mut times = BTreeMap::new();
        for (b, block) in blocks.iter().zip(&answers) {
            let t = block
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(quantity)
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .ok_or_else(|| {
                    malformed(&ep, format!("eth_getBlockByNumber({b}): no `timestamp`"))
                })?;
            times.insert(*b, t);
        }
        found
            .into_iter()
            .map(|w| {
                let amount = i128::try_from(w.amount)
                    .ok()
                    .filter(|a| *a <= ABSURD_WEI)
                    .ok_or_else(|| {
                        malformed(
                            &ep,
                            format!("Undelegated in {}: {} wei is not plausible", w.tx, w.amount),
                        )
                    })?;
                Ok(PayoutEvent {
                    key: format!("streamr:{}:{}", w.tx, w.log_index),
                    kind: PayoutKind::Payout,
                    amount: Money::new(Token::Data, amount, 18),
                    at: times[&w.block],
                    reference: Some(w.tx),
                    detail: format!(
                        "the owner undelegated from operator {op} (Undelegated event, block {})",
                        w.block
                    ),
                })
            })
            .collect()
    }

    /// One JSON-RPC batch; every answer must be a result (an error names its call). Shared by the
    /// owner's `eth_call`s and the withdrawal logs.
    pub(super) async fn rpc_batch(
        &self,
        calls: Vec<(String, &str, Value)>,
    ) -> Result<Vec<Value>, AdapterError> {
        let rpc = self.rpc.as_ref().ok_or_else(|| AdapterError::Unsupported {
            what: format!(
                "{}: no Polygon RPC endpoint; set protocols.streamr.rpc_url",
                self.node
            ),
        })?;
        let batch: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(
                |(i, (_, m, p))| json!({ "jsonrpc": "2.0", "id": i + 1, "method": m, "params": p }),
            )
            .collect();
        let (real, ep) = (rpc.base().to_owned(), self.rpc_shown.clone());
        let answer = rpc
            .post_bytes("", &Value::Array(batch))
            .await
            .map_err(|e| redact_err(e, &real, &ep))?;
        let v: Value = decode(&ep, &answer)?;
        let items = v
            .as_array()
            .ok_or_else(|| malformed(&ep, "the batch answer is not an array".to_owned()))?;
        calls
            .iter()
            .enumerate()
            .map(|(i, (label, _, _))| {
                let item = items
                    .iter()
                    .find(|it| it.get("id").and_then(Value::as_u64) == Some(i as u64 + 1))
                    .ok_or_else(|| malformed(&ep, format!("{label}: no answer in the batch")))?;
                if let Some(err) = item.get("error") {
                    return Err(malformed(
                        &ep,
                        format!("{label}: RPC error {}", super::chain::rpc_error(err)),
                    ));
                }
                item.get("result")
                    .filter(|r| !r.is_null())
                    .cloned()
                    .ok_or_else(|| malformed(&ep, format!("{label}: no `result`")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_is_the_abis_undelegated_event() {
        // keccak256("Undelegated(address,uint256)"), the event as the vendored ABI declares it.
        let abi = include_str!("../../abi/streamr-network-contracts-9.1.0/Operator.json");
        assert!(abi.contains("event Undelegated(address indexed delegator, uint256 amountDataWei)"));
        assert_eq!(Undelegated::SIGNATURE, "Undelegated(address,uint256)");
        assert_eq!(
            Undelegated::SIGNATURE_HASH.to_string(),
            "0x4ae68879209bc4b489a38251122202a3653305e3d95a27baf7a5681410c90b38"
        );
    }

    #[test]
    fn logs_become_withdrawals_and_removed_ones_are_skipped() {
        let topic = Undelegated::SIGNATURE_HASH.to_string();
        let logs = json!([
            {
                "topics": [topic, "0x0000000000000000000000003333333333333333333333333333333333333333"],
                // 250.5 DATA in wei, block 81 000 000 (0x4d3f640), log 3.
                "data": format!("0x{:0>64x}", 250_500_000_000_000_000_000u128),
                "blockNumber": "0x4d3f640",
                "transactionHash": "0xAB12",
                "logIndex": "0x3",
                "removed": false
            },
            {
                "topics": [topic],
                "data": format!("0x{:0>64x}", 1u128),
                "blockNumber": "0x1",
                "transactionHash": "0xdead",
                "logIndex": "0x0",
                "removed": true
            }
        ]);
        let got = withdrawals("rpc", &logs).unwrap();
        assert_eq!(
            got,
            vec![Withdrawal {
                block: 81_000_000,
                tx: "0xab12".into(),
                log_index: 3,
                amount: U256::from(250_500_000_000_000_000_000u128),
            }]
        );
        let short = json!([{ "topics": [topic], "data": "0x01", "blockNumber": "0x1", "transactionHash": "0x1", "logIndex": "0x0" }]);
        let e = withdrawals("rpc", &short).unwrap_err().to_string();
        assert!(e.contains("eth_getLogs[0].data: 1 bytes"), "{e}");
    }
}
