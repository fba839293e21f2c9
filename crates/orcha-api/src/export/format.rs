//! Export file formats: Orcha's own CSV and JSON, and Koinly's simple (deposits/mining) CSV.

use super::ExportRow;

pub const CSV_HEADER: [&str; 13] = [
    "time",
    "machine",
    "node",
    "protocol",
    "kind",
    "token",
    "amount",
    "price",
    "fiat_value",
    "fiat_currency",
    "price_source",
    "price_time",
    "reference",
];

/// Koinly's documented columns for deposits, withdrawals and mining (help.koinly.io, "How can I
/// import my own custom CSV file": required Koinly Date, Amount, Currency; optional Net Worth
/// Amount, Net Worth Currency, Label, Description, TxHash).
pub const KOINLY_HEADER: [&str; 8] = [
    "Koinly Date",
    "Amount",
    "Currency",
    "Net Worth Amount",
    "Net Worth Currency",
    "Label",
    "Description",
    "TxHash",
];

const NO_PRICE: &str = "no price";

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn line(fields: &[String]) -> String {
    let mut l = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    l.push_str("\r\n");
    l
}

fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Orcha's CSV: one row per earning day or payout; "no price" where none was recorded.
pub fn to_csv(rows: &[ExportRow]) -> String {
    let mut out = line(&CSV_HEADER.map(str::to_owned));
    for r in rows {
        out += &line(&[
            iso(r.time),
            r.machine.clone(),
            r.node.clone(),
            r.protocol.clone(),
            r.kind.clone(),
            r.token.clone(),
            r.amount.clone(),
            r.price.clone().unwrap_or_else(|| NO_PRICE.to_owned()),
            r.fiat_value.clone().unwrap_or_else(|| NO_PRICE.to_owned()),
            r.fiat_currency.clone(),
            r.price_source
                .clone()
                .unwrap_or_else(|| NO_PRICE.to_owned()),
            r.price_time.map(iso).unwrap_or_default(),
            r.reference.clone(),
        ]);
    }
    out
}

pub fn to_json(rows: &[ExportRow]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned())
}

/// Koinly's simple template: only `earned` rows (income, label `mining`); payouts move money the
/// operator already earned from the node to the wallet and are not income again. Points are not
/// a currency Koinly knows and are left out.
pub fn to_koinly_csv(rows: &[ExportRow]) -> String {
    let mut out = line(&KOINLY_HEADER.map(str::to_owned));
    for r in rows
        .iter()
        .filter(|r| r.kind == "earned" && r.token != "points")
    {
        out += &line(&[
            r.time.format("%Y-%m-%d %H:%M UTC").to_string(),
            r.amount.clone(),
            r.token.to_ascii_uppercase(),
            r.fiat_value.clone().unwrap_or_default(),
            if r.fiat_value.is_some() {
                r.fiat_currency.to_ascii_uppercase()
            } else {
                String::new()
            },
            "mining".to_owned(),
            format!("{} earned by {} on {}", r.protocol, r.node, r.machine),
            r.reference.clone(),
        ]);
    }
    out
}
