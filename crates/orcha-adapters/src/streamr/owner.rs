//! The owner's own Streamr earnings, read from the Operator contract's fields, apart from the contract's totals.
//!
//! The contract's collected total (`cumulativeEarningsWei`) and its uncollected earnings belong to
//! everyone who delegated: each withdrawal pays the protocol fee, then the operator's cut
//! (`operatorsCutFraction`, self-delegated to the owner), and the rest raises the value of every
//! operator token ("profit"), the owner's included. So the owner earned
//!
//! - collected: `cumulativeOperatorsCutWei` + `cumulativeProfitsWei` × owner's tokens / all tokens;
//! - uncollected: `uncollected` × (1 − fee) × (cut + (1 − cut) × owner's tokens / all tokens).
//!
//! The token share is today's (`balanceOf(owner)` / `totalSupply()`); profits collected while
//! the owner held a different share are valued at today's share, which is exact for an owner
//! whose share never changed (docs/money.md says so).

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use orcha_core::{AdapterError, Money, Token};
use serde_json::{json, Value};

use super::normalize::malformed;
use super::{StreamrAdapter, ABSURD_WEI};

alloy_sol_types::sol! {
    interface IOperatorOwner {
        function owner() external view returns (address);
        function operatorsCutFraction() external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
    }
}

pub use IOperatorOwner::{
    balanceOfCall as operatorTokenBalanceOfCall, operatorsCutFractionCall, ownerCall,
    totalSupplyCall,
};

/// 1e18: fractions on the contract are written ×1e18 (`1e17` = 10 %).
const ONE: u128 = 1_000_000_000_000_000_000;

/// The owner's stake in the operator, as the contract states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerPosition {
    pub owner: String,
    /// ×1e18.
    pub operators_cut: U256,
    pub owner_tokens: U256,
    pub total_tokens: U256,
}

/// The owner's earnings from the contract's totals; see the module doc for the formula.
pub fn owner_earnings(
    p: &OwnerPosition,
    protocol_fee: U256,
    cumulative_operators_cut: &Money,
    cumulative_profits: &Money,
    uncollected: &Money,
) -> Option<(Money, Money)> {
    let one = U256::from(ONE);
    if p.operators_cut > one || protocol_fee > one || p.owner_tokens > p.total_tokens {
        return None;
    }
    let u = |m: &Money| -> Option<U256> { Some(U256::from(u128::try_from(m.amount).ok()?)) };
    let share = |x: U256| -> U256 {
        if p.total_tokens.is_zero() {
            U256::ZERO
        } else {
            x * p.owner_tokens / p.total_tokens
        }
    };
    let collected = u(cumulative_operators_cut)? + share(u(cumulative_profits)?);
    let after_fee = u(uncollected)? * (one - protocol_fee) / one;
    let cut = after_fee * p.operators_cut / one;
    let pending = cut + share(after_fee - cut);
    let to_money = |v: U256| -> Option<Money> {
        let v = i128::try_from(u128::try_from(v).ok()?).ok()?;
        (v <= ABSURD_WEI).then(|| Money::new(Token::Data, v, 18))
    };
    Some((to_money(collected)?, to_money(pending)?))
}

/// The owner's part of one day's collected earnings: the cut plus the share of the profit.
pub fn owner_day(p: &OwnerPosition, operators_cut: &Money, profits: &Money) -> Option<Money> {
    let zero = Money::new(Token::Data, 0, 18);
    owner_earnings(p, U256::ZERO, operators_cut, profits, &zero).map(|(c, _)| c)
}

fn call_hex<C: SolCall>(to: &str, call: &C) -> Value {
    json!([{ "to": to, "data": format!("0x{}", alloy_primitives::hex::encode(call.abi_encode())) }, "latest"])
}

impl StreamrAdapter {
    /// The owner's earnings per day from the subgraph's daily buckets (up to 1000 days), at
    /// today's token share (docs/money.md); needs the RPC endpoint for the share.
    pub async fn owner_daily_history(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<orcha_core::EarnedPeriod>, AdapterError> {
        let position = self.owner_position().await?;
        let buckets = self.daily_buckets(from, to).await?;
        let mut out = Vec::new();
        for b in buckets {
            let amount = owner_day(&position, &b.operators_cut, &b.profits).ok_or_else(|| {
                malformed(
                    &self.subgraph_shown,
                    format!("daily bucket {}: the owner's share does not fit", b.date),
                )
            })?;
            out.push(orcha_core::EarnedPeriod {
                key: format!("streamr:{}:{}", self.operator()?, b.date.format("%Y-%m-%d")),
                start: b.date,
                end: b.date + chrono::Duration::days(1),
                amount,
                source: format!("subgraph daily bucket {}", b.date.format("%Y-%m-%d")),
            });
        }
        Ok(out)
    }

    /// `owner()`, `operatorsCutFraction()`, `totalSupply()`, then `balanceOf(owner)` on the
    /// Operator contract (its own ERC-20 operator token).
    pub async fn owner_position(&self) -> Result<OwnerPosition, AdapterError> {
        let op = self.operator()?.to_owned();
        let first = self
            .eth_calls(vec![
                (ownerCall::SIGNATURE, call_hex(&op, &ownerCall {})),
                (
                    operatorsCutFractionCall::SIGNATURE,
                    call_hex(&op, &operatorsCutFractionCall {}),
                ),
                (
                    totalSupplyCall::SIGNATURE,
                    call_hex(&op, &totalSupplyCall {}),
                ),
            ])
            .await?;
        let ep = self.rpc_shown.clone();
        let dec = |sig: &str, hex: &str| -> Result<Vec<u8>, AdapterError> {
            let h = hex.strip_prefix("0x").unwrap_or(hex);
            alloy_primitives::hex::decode(h)
                .map_err(|e| malformed(&ep, format!("result of {sig}: not hex ({e})")))
        };
        let bad =
            |sig: &str, e: alloy_sol_types::Error| malformed(&ep, format!("result of {sig}: {e}"));
        let owner: Address = ownerCall::abi_decode_returns(&dec(ownerCall::SIGNATURE, &first[0])?)
            .map_err(|e| bad(ownerCall::SIGNATURE, e))?;
        let operators_cut = operatorsCutFractionCall::abi_decode_returns(&dec(
            operatorsCutFractionCall::SIGNATURE,
            &first[1],
        )?)
        .map_err(|e| bad(operatorsCutFractionCall::SIGNATURE, e))?;
        let total_tokens =
            totalSupplyCall::abi_decode_returns(&dec(totalSupplyCall::SIGNATURE, &first[2])?)
                .map_err(|e| bad(totalSupplyCall::SIGNATURE, e))?;
        let second = self
            .eth_calls(vec![(
                operatorTokenBalanceOfCall::SIGNATURE,
                call_hex(&op, &operatorTokenBalanceOfCall { account: owner }),
            )])
            .await?;
        let owner_tokens = operatorTokenBalanceOfCall::abi_decode_returns(&dec(
            operatorTokenBalanceOfCall::SIGNATURE,
            &second[0],
        )?)
        .map_err(|e| bad(operatorTokenBalanceOfCall::SIGNATURE, e))?;
        Ok(OwnerPosition {
            owner: format!("0x{}", alloy_primitives::hex::encode(owner.as_slice())),
            operators_cut,
            owner_tokens,
            total_tokens,
        })
    }

    /// One JSON-RPC batch of `eth_call`s (through `rpc_batch`); every answer must be a hex string.
    async fn eth_calls(&self, calls: Vec<(&str, Value)>) -> Result<Vec<String>, AdapterError> {
        let batch = calls
            .iter()
            .map(|(sig, p)| ((*sig).to_owned(), "eth_call", p.clone()))
            .collect();
        let answers = self.rpc_batch(batch).await?;
        answers
            .into_iter()
            .zip(&calls)
            .map(|(v, (sig, _))| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(&self.rpc_shown, format!("{sig}: no `result`")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(whole: i128) -> Money {
        Money::new(Token::Data, whole * ONE as i128, 18)
    }

    #[test]
    fn the_owner_earns_the_cut_and_the_share_of_profits_of_its_own_tokens() {
        // Cut 10 %, fee 5 %, the owner holds 18 000 of 90 000 operator tokens (20 %).
        let p = OwnerPosition {
            owner: "0x3333".into(),
            operators_cut: U256::from(ONE / 10),
            owner_tokens: U256::from(18_000u128 * ONE),
            total_tokens: U256::from(90_000u128 * ONE),
        };
        let fee = U256::from(ONE / 20);
        // Uncollected 1000 DATA: fee 50 → 950; cut 95; rest 855 × 20 % = 171; owner 266.
        // Collected: cut 1000 + 20 % of profits 8000 = 2600.
        let (collected, pending) =
            owner_earnings(&p, fee, &data(1000), &data(8000), &data(1000)).unwrap();
        assert_eq!(
            collected.to_decimal_string(),
            data(2600).to_decimal_string()
        );
        assert_eq!(pending, data(266));
    }

    #[test]
    fn an_impossible_position_gives_no_figure_rather_than_a_wrong_one() {
        let p = OwnerPosition {
            owner: "0x3333".into(),
            operators_cut: U256::from(ONE / 10),
            owner_tokens: U256::from(2u8),
            total_tokens: U256::from(1u8),
        };
        assert_eq!(
            owner_earnings(&p, U256::ZERO, &data(1), &data(1), &data(1)),
            None
        );
    }
}
