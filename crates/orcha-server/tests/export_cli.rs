//! `orcha export` end to end: the real binary writes an export of a real store, Python's `csv`
//! module reads it back, and its sums match the store to the base unit and to the cent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use orcha_core::{EarningsData, EarningsKind, Money, NodeId, PayoutEvent, PayoutKind, Token};
use orcha_store::Store;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn data(whole_milli: i128) -> Money {
    // Thousandths of DATA, as wei.
    Money::new(Token::Data, whole_milli * 10i128.pow(15), 18)
}

/// A store with hand-made history: a Streamr node earning 1.5 DATA on 1 March and 2.25 DATA on
/// 2 March, a Storj node accruing 0.40 then 1.00 USD in March and 0.30 USD after the reset on
/// 1 April, one Storj payout of 12.528337 USD with a receipt, and one DATA price on 28 February.
fn seed(db: &Path) {
    let mut s = Store::open(db).unwrap();
    let streamr: NodeId = "streamr:main".parse().unwrap();
    let storj: NodeId = "storj:disk1".parse().unwrap();
    let put = |s: &mut Store, n: &NodeId, at: &str, k: EarningsKind, m: Money| {
        s.insert_earnings(
            n,
            &EarningsData {
                observed_at: t(at),
                figures: vec![(k, m)],
            },
        )
        .unwrap();
    };
    put(
        &mut s,
        &streamr,
        "2026-02-28T23:00:00Z",
        EarningsKind::Lifetime,
        data(10_000),
    );
    put(
        &mut s,
        &streamr,
        "2026-03-01T12:00:00Z",
        EarningsKind::Lifetime,
        data(11_500),
    );
    put(
        &mut s,
        &streamr,
        "2026-03-02T12:00:00Z",
        EarningsKind::Lifetime,
        data(13_750),
    );
    let usd = |cents_e2: i128| Money::new(Token::Usd, cents_e2, 4);
    put(
        &mut s,
        &storj,
        "2026-03-01T00:30:00Z",
        EarningsKind::CurrentPeriodAccrued,
        usd(0),
    );
    put(
        &mut s,
        &storj,
        "2026-03-15T10:00:00Z",
        EarningsKind::CurrentPeriodAccrued,
        usd(4_000),
    );
    put(
        &mut s,
        &storj,
        "2026-03-31T22:00:00Z",
        EarningsKind::CurrentPeriodAccrued,
        usd(10_000),
    );
    put(
        &mut s,
        &storj,
        "2026-04-01T05:00:00Z",
        EarningsKind::CurrentPeriodAccrued,
        usd(3_000),
    );
    s.record_payouts(
        &storj,
        &[PayoutEvent {
            key: "storj:sat:2026-02:distributed".into(),
            kind: PayoutKind::Payout,
            amount: Money::new(Token::Usd, 12_528_337, 6),
            at: t("2026-03-01T00:00:00Z"),
            reference: Some("zksync:0xabc".into()),
            detail: "paystub".into(),
        }],
        t("2026-03-05T00:00:00Z"),
    )
    .unwrap();
    // 0.0125 USD per DATA at 06:00 on 28 February: 18 h before 1 March, 42 h before 2 March
    // (more than the 36 h a price may be away from the figure it values).
    s.record_price(
        "data",
        "usd",
        "0.0125",
        "coingecko",
        t("2026-02-28T06:00:00Z"),
    )
    .unwrap();
    drop(s);
}

fn python_sums(file: &Path) -> String {
    let script = r#"
import csv, sys
from decimal import Decimal
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
sums = {}
for r in rows:
    key = (r["protocol"], r["kind"], r["token"])
    sums[key] = sums.get(key, Decimal(0)) + Decimal(r["amount"])
for k in sorted(sums):
    print(*k, sums[k])
fiat = [r["fiat_value"] for r in rows]
print("fiat", sum(Decimal(v) for v in fiat if v != "no price"), fiat.count("no price"))
print("refs", [r["reference"] for r in rows if r["reference"]])
print("times", [r["time"] for r in rows])
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_export_read_back_with_python_csv_sums_to_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    seed(&data_dir.join("orcha.db"));
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[orchestrator]\ndata_dir = \"{}\"\nmachine = \"box1\"\n",
            data_dir.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("export.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&config)
        .env_remove("DATABASE_URL")
        .env_remove("CONFIG_PATH")
        .args([
            "export",
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-01",
            "--format",
            "csv",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let got = python_sums(&out);
    // Streamr: 1.5 + 2.25 = 3.75 DATA earned. Storj: 0.40 + 0.60 in March, then 0.30 after the
    // reset on 1 April = 1.30 USD; one payout of 12.528337 USD.
    // Fiat: 1.5 DATA × 0.0125 = 0.01875 → 0.02; 2 March has no price; Storj rows are USD in
    // USD (price 1): 0.40 + 0.60 + 0.30 + 12.528337 → 0.40 + 0.60 + 0.30 + 12.53.
    // Total 0.02 + 13.83 = 13.85, one row without a price.
    let expected = "\
storj earned usd 1.3000
storj payout usd 12.528337
streamr earned data 3.750000000000000000
fiat 13.85 1
refs ['zksync:0xabc']
times ['2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-15T00:00:00Z', '2026-03-31T00:00:00Z', '2026-04-01T00:00:00Z']
";
    assert_eq!(got, expected);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("time,machine,node,protocol,kind,token,amount,price,fiat_value,fiat_currency,price_source,price_time,reference\r\n"));
    assert!(text.contains(",box1,streamr:main,streamr,earned,data,2.250000000000000000,no price,no price,usd,no price,,"));

    // Koinly's layout: earned rows only, with the net worth where a price was known.
    let koinly = dir.path().join("koinly.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&config)
        .env_remove("DATABASE_URL")
        .args([
            "export",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-01",
            "--format",
            "koinly",
            "--out",
        ])
        .arg(&koinly)
        .status()
        .unwrap();
    assert!(status.success());
    let k = std::fs::read_to_string(&koinly).unwrap();
    assert_eq!(
        k,
        "Koinly Date,Amount,Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash\r\n\
         2026-03-01 00:00 UTC,1.500000000000000000,DATA,0.02,USD,mining,streamr earned by streamr:main on box1,\r\n"
    );
}
