//! Every contract call the Streamr adapter makes exists, with the same inputs, outputs and
//! selector, in the official ABIs vendored from `@streamr/network-contracts` 9.1.0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use alloy_json_abi::Function;
use alloy_sol_types::{SolCall, SolType};
use orcha_adapters::streamr::{
    balanceOfCall, getSponsorshipsAndEarningsCall, metadataCall, operatorTokenBalanceOfCall,
    operatorsCutFractionCall, ownerCall, totalSupplyCall, valueWithoutEarningsCall,
};

/// The `function …` entries of one vendored human-readable ABI, unparsed: alloy's parser does
/// not take ethers' named tuple components (`(address delegator, …)[]`), which some entries
/// the adapter never calls use, so only the entries of the functions checked are parsed.
fn functions(file: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("abi/streamr-network-contracts-9.1.0")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let entries: Vec<String> = serde_json::from_str(&text).unwrap();
    let fns: Vec<String> = entries
        .into_iter()
        .filter(|e| e.starts_with("function "))
        .collect();
    assert!(fns.len() > 10, "{file} has only {} functions", fns.len());
    fns
}

fn assert_in_abi<C: SolCall>(abi: &[String], file: &str) {
    let name = C::SIGNATURE.split('(').next().unwrap_or_default();
    let f = abi
        .iter()
        .filter(|e| e["function ".len()..].starts_with(&format!("{name}(")))
        .map(|e| Function::parse(e).unwrap_or_else(|err| panic!("{file}: {e}: {err}")))
        .find(|f| f.signature() == C::SIGNATURE)
        .unwrap_or_else(|| panic!("{} is not in {file}", C::SIGNATURE));
    assert_eq!(f.selector().0, C::SELECTOR, "selector of {}", C::SIGNATURE);
    let outputs = format!(
        "({})",
        f.outputs
            .iter()
            .map(|p| p.selector_type().into_owned())
            .collect::<Vec<_>>()
            .join(",")
    );
    assert_eq!(
        outputs,
        <C::ReturnTuple<'static> as SolType>::SOL_NAME,
        "return types of {}",
        C::SIGNATURE
    );
}

#[test]
fn every_call_the_adapter_makes_is_in_the_official_abi() {
    let operator = functions("Operator.json");
    assert_in_abi::<getSponsorshipsAndEarningsCall>(&operator, "Operator.json");
    assert_in_abi::<valueWithoutEarningsCall>(&operator, "Operator.json");
    assert_in_abi::<metadataCall>(&operator, "Operator.json");
    // The owner's position (owner.rs): the operator token is the contract's own ERC-20.
    assert_in_abi::<ownerCall>(&operator, "Operator.json");
    assert_in_abi::<operatorsCutFractionCall>(&operator, "Operator.json");
    assert_in_abi::<totalSupplyCall>(&operator, "Operator.json");
    assert_in_abi::<operatorTokenBalanceOfCall>(&operator, "Operator.json");
    let data = functions("DATAv2.json");
    assert_in_abi::<balanceOfCall>(&data, "DATAv2.json");
}

#[test]
fn the_selectors_are_the_ones_nodes_and_explorers_know() {
    // Published 4-byte selectors (e.g. 4byte.directory); a typo in a declaration changes them.
    assert_eq!(
        getSponsorshipsAndEarningsCall::SELECTOR,
        [0x2e, 0xbd, 0x89, 0xd1]
    );
    assert_eq!(valueWithoutEarningsCall::SELECTOR, [0xc2, 0x29, 0x91, 0x8e]);
    assert_eq!(metadataCall::SELECTOR, [0x39, 0x2f, 0x37, 0xe9]);
    assert_eq!(balanceOfCall::SELECTOR, [0x70, 0xa0, 0x82, 0x31]);
    assert_eq!(ownerCall::SELECTOR, [0x8d, 0xa5, 0xcb, 0x5b]);
    assert_eq!(totalSupplyCall::SELECTOR, [0x18, 0x16, 0x0d, 0xdd]);
    assert_eq!(operatorsCutFractionCall::SELECTOR, [0x55, 0x8a, 0x15, 0x68]);
}

#[test]
fn a_call_missing_from_the_abi_would_fail() {
    // The check itself can fail: DATAv2 has no getSponsorshipsAndEarnings.
    let data = functions("DATAv2.json");
    let found = std::panic::catch_unwind(|| {
        assert_in_abi::<getSponsorshipsAndEarningsCall>(&data, "DATAv2.json")
    });
    assert!(found.is_err());
}
