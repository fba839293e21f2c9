//! Store tests on real SQLite files in temporary directories.

use super::*;
use chrono::Duration;
use orcha_core::{EarningsData, EarningsKind, HealthStatus};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn node(s: &str) -> NodeId {
    s.parse().unwrap()
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("orcha.db")).unwrap();
    (dir, store)
}

#[test]
fn fresh_database_is_migrated_in_wal_mode() {
    let (dir, store) = temp_store();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "synchronous must be NORMAL (1)");
    drop(store);
    let again = Store::open(&dir.path().join("orcha.db")).unwrap();
    assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
}

#[test]
fn garbage_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orcha.db");
    let garbage = b"this is my tax return, not a database\n".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    // Without the SQLite header it may be an SQLCipher file: the error says both.
    assert!(matches!(err, StoreError::KeyMissingOrWrong { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not a SQLite database"), "{msg}");
    assert!(msg.contains("left untouched"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file must not be modified"
    );
}

#[test]
fn corrupt_database_with_a_valid_header_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orcha.db");
    {
        let mut s = Store::open(&path).unwrap();
        s.insert_samples(&[Sample {
            node: node("storj:a"),
            metric: "cpu_millicores".into(),
            ts: t0(),
            value: 1.0,
        }])
        .unwrap();
        s.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    // Keep the 16-byte magic, destroy the rest of the header page and the schema.
    for b in bytes.iter_mut().skip(16).take(4000) {
        *b = 0xAB;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NotADatabase { .. } | StoreError::Io { .. }),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file must not be modified"
    );
}

#[test]
fn newer_schema_is_refused() {
    let (dir, store) = temp_store();
    store.conn.pragma_update(None, "user_version", 999).unwrap();
    drop(store);
    let err = Store::open(&dir.path().join("orcha.db")).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn sample_batches_are_atomic() {
    let (_dir, mut store) = temp_store();
    let n = node("golem:main");
    let good = Sample {
        node: n.clone(),
        metric: "cpu_millicores".into(),
        ts: t0(),
        value: 500.0,
    };
    let bad = Sample {
        value: f64::NAN,
        ..good.clone()
    };
    assert!(store.insert_samples(&[good.clone(), bad]).is_err());
    assert_eq!(
        store.count_samples().unwrap(),
        0,
        "a failed batch must store nothing"
    );
    store.insert_samples(std::slice::from_ref(&good)).unwrap();
    let pts = store
        .samples(
            &n,
            "cpu_millicores",
            t0(),
            t0() + Duration::seconds(1),
            Resolution::Raw,
        )
        .unwrap();
    assert_eq!(pts.len(), 1);
    assert_eq!(pts[0].value, 500.0);
    assert_eq!(store.nodes().unwrap(), vec!["golem:main".to_owned()]);
}

#[test]
fn rollups_average_and_retention_keeps_only_rolled_up_data() {
    let (_dir, mut store) = temp_store();
    let n = node("storj:a");
    // Three hours of samples every 10 s, value = minute index, so each minute's mean is known.
    let samples: Vec<Sample> = (0..3 * 360)
        .map(|i| Sample {
            node: n.clone(),
            metric: "mem_bytes".into(),
            ts: t0() + Duration::seconds(i * 10),
            value: (i / 6) as f64,
        })
        .collect();
    store.insert_samples(&samples).unwrap();
    let retention = Retention {
        raw_days: 1,
        minute_days: 30,
        hour_days: 365,
    };
    let report = store
        .rollup_and_retain(t0() + Duration::hours(3), retention)
        .unwrap();
    assert_eq!(report.minute_buckets, 180);
    assert_eq!(report.hour_buckets, 3);
    assert_eq!(report.raw_deleted, 0, "raw data is younger than a day");
    let minutes = store
        .samples(
            &n,
            "mem_bytes",
            t0(),
            t0() + Duration::hours(3),
            Resolution::Minute,
        )
        .unwrap();
    assert_eq!(minutes.len(), 180);
    assert_eq!(minutes[7].value, 7.0);
    let hours = store
        .samples(
            &n,
            "mem_bytes",
            t0(),
            t0() + Duration::hours(3),
            Resolution::Hour,
        )
        .unwrap();
    assert_eq!(hours.len(), 3);
    // Hour 1 holds minutes 60..=119, mean 89.5.
    assert_eq!(hours[1].value, 89.5);
    assert_eq!((hours[1].min, hours[1].max), (60.0, 119.0));

    // Running again adds nothing; two days later (with a reading from then, which is what
    // retention counts from) raw data is gone but rollups remain.
    let again = store
        .rollup_and_retain(t0() + Duration::hours(3), retention)
        .unwrap();
    assert_eq!((again.minute_buckets, again.hour_buckets), (0, 0));
    store
        .insert_samples(&[Sample {
            node: n.clone(),
            metric: "mem_bytes".into(),
            ts: t0() + Duration::days(2),
            value: 0.0,
        }])
        .unwrap();
    // Retention catches up with a gap a few hours per pass (see `rollup_and_retain`).
    let mut raw_deleted = 0;
    for _ in 0..10 {
        raw_deleted += store
            .rollup_and_retain(t0() + Duration::days(2), retention)
            .unwrap()
            .raw_deleted;
    }
    assert_eq!(raw_deleted, 1080);
    assert_eq!(store.count_samples().unwrap(), 1);
    let hours_after = store
        .samples(
            &n,
            "mem_bytes",
            t0(),
            t0() + Duration::hours(3),
            Resolution::Hour,
        )
        .unwrap();
    assert_eq!(hours_after, hours, "rollups survive raw retention");
}

#[test]
fn raw_samples_are_not_deleted_before_they_are_rolled_up() {
    let (_dir, mut store) = temp_store();
    let n = node("storj:a");
    let at = |ts| Sample {
        node: n.clone(),
        metric: "m".into(),
        ts,
        value: 1.0,
    };
    store
        .insert_samples(&[at(t0()), at(t0() + Duration::days(10))])
        .unwrap();
    // First pass ever, ten days later: the rollup covers the old sample, then retention drops it.
    let r = store
        .rollup_and_retain(
            t0() + Duration::days(10),
            Retention {
                raw_days: 1,
                minute_days: 30,
                hour_days: 30,
            },
        )
        .unwrap();
    assert_eq!(r.minute_buckets, 2);
    assert_eq!(r.raw_deleted, 1);
    let m = store
        .samples(
            &n,
            "m",
            t0(),
            t0() + Duration::minutes(1),
            Resolution::Minute,
        )
        .unwrap();
    assert_eq!(m.len(), 1);
}

#[test]
fn earnings_round_trip_exactly_beyond_64_bits() {
    let (_dir, mut store) = temp_store();
    let n = node("golem:main");
    // 123456.789012345678901234 GLM would not fit u64 in base units.
    let big = Money::parse_decimal("123456789012.3456789012345678912", Token::Glm, 18);
    assert!(big.is_err(), "more than 18 decimals must be refused");
    let m = Money::parse_decimal("98765432109.123456789012345678", Token::Glm, 18).unwrap();
    assert!(m.amount > i128::from(u64::MAX));
    let e = EarningsData {
        observed_at: t0(),
        figures: vec![
            (EarningsKind::Settled, m),
            (EarningsKind::Pending, Money::zero(Token::Glm, 18)),
        ],
    };
    store.insert_earnings(&n, &e).unwrap();
    let later = EarningsData {
        observed_at: t0() + Duration::hours(1),
        figures: vec![(EarningsKind::Pending, Money::new(Token::Glm, 5, 18))],
    };
    store.insert_earnings(&n, &later).unwrap();
    let latest = store.latest_earnings(&n).unwrap();
    assert_eq!(latest.len(), 2);
    let pending = latest
        .iter()
        .find(|(k, _, _)| *k == EarningsKind::Pending)
        .unwrap();
    assert_eq!(pending.1.amount, 5, "the newest pending figure wins");
    let settled = latest
        .iter()
        .find(|(k, _, _)| *k == EarningsKind::Settled)
        .unwrap();
    assert_eq!(settled.1, m);
    assert_eq!(
        settled.1.to_decimal_string(),
        "98765432109.123456789012345678"
    );
    let hist = store
        .earnings_history(&n, EarningsKind::Pending, t0(), t0() + Duration::days(1))
        .unwrap();
    assert_eq!(
        hist.iter().map(|(_, m)| m.amount).collect::<Vec<_>>(),
        vec![0, 5]
    );
}

#[test]
fn alerts_open_once_clear_and_acknowledge() {
    let (_dir, mut store) = temp_store();
    let id = store
        .open_alert(
            Some("storj:a"),
            "node_unreachable",
            "critical",
            "storj:a is down",
            t0(),
        )
        .unwrap();
    assert!(id.is_some());
    assert_eq!(
        store
            .open_alert(
                Some("storj:a"),
                "node_unreachable",
                "critical",
                "again",
                t0()
            )
            .unwrap(),
        None,
        "duplicate"
    );
    assert!(store
        .open_alert(
            Some("storj:b"),
            "node_unreachable",
            "critical",
            "b down",
            t0()
        )
        .unwrap()
        .is_some());
    assert_eq!(store.alerts(false, 10).unwrap().len(), 2);
    assert_eq!(
        store
            .clear_alert(Some("storj:a"), "node_unreachable", t0())
            .unwrap(),
        id
    );
    assert_eq!(
        store
            .clear_alert(Some("storj:a"), "node_unreachable", t0())
            .unwrap(),
        None
    );
    assert_eq!(store.alerts(false, 10).unwrap().len(), 1);
    assert_eq!(store.alerts(true, 10).unwrap().len(), 2);
    assert!(store.acknowledge_alert(id.unwrap(), t0()).unwrap());
    assert!(
        !store.acknowledge_alert(id.unwrap(), t0()).unwrap(),
        "already acknowledged"
    );
    // After clearing, the same incident may open again.
    assert!(store
        .open_alert(
            Some("storj:a"),
            "node_unreachable",
            "critical",
            "down again",
            t0()
        )
        .unwrap()
        .is_some());
}

#[test]
fn decisions_cycles_and_health_round_trip() {
    let (_dir, mut store) = temp_store();
    let c = store.begin_cycle(t0()).unwrap();
    store
        .record_cycle_step(&CycleStepRow {
            cycle: c,
            step: "collect".into(),
            status: "done".into(),
            detail: "2 nodes".into(),
            finished_at: to_ms(t0()),
        })
        .unwrap();
    store.finish_cycle(c, t0()).unwrap();
    assert_eq!(store.cycle_steps(c).unwrap()[0].detail, "2 nodes");
    assert_eq!(
        store.latest_cycle().unwrap(),
        Some((c, to_ms(t0()), Some(to_ms(t0()))))
    );
    let d = DecisionRow {
        cycle: Some(c),
        created_at: to_ms(t0()),
        verdict: "skip".into(),
        reason: "ML engine unavailable".into(),
        ..Default::default()
    };
    let id = store.insert_decision(&d).unwrap();
    store.update_decision_result(id, Some("{}"), None).unwrap();
    let got = &store.decisions(5).unwrap()[0];
    assert_eq!(
        (
            got.verdict.as_str(),
            got.reason.as_str(),
            got.applied_result.as_deref()
        ),
        ("skip", "ML engine unavailable", Some("{}"))
    );
    let n = node("grass:main");
    store
        .record_health(&n, t0(), &HealthStatus::Degraded(vec!["ipScore 0".into()]))
        .unwrap();
    let h = store.latest_health(&n).unwrap().unwrap();
    assert_eq!(
        (h.state.as_str(), h.reasons),
        ("degraded", vec!["ipScore 0".to_owned()])
    );
    store
        .audit_config(
            t0(),
            "api",
            "protocols.storj.enabled",
            Some("false"),
            Some("true"),
        )
        .unwrap();
    store
        .insert_price(Token::Glm, "usd", "0.2512", "coingecko", t0())
        .unwrap();
    store.check_writable().unwrap();
}

#[test]
fn a_price_is_recorded_once_and_read_back_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("p.db")).unwrap();
    // GRASS has no `Token`: prices are keyed by the asset's name.
    assert!(store
        .record_price("grass", "usd", "1.5", "coingecko", t0())
        .unwrap());
    assert!(
        !store
            .record_price("grass", "usd", "1.5", "coingecko", t0())
            .unwrap(),
        "the identical row is not stored twice"
    );
    let later = t0() + Duration::minutes(15);
    assert!(store
        .record_price("grass", "usd", "1.6", "coingecko", later)
        .unwrap());
    store
        .record_price("grass", "eur", "1.4", "coingecko", later)
        .unwrap();
    let rows = store.price_rows("grass", "usd", 10).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].value.as_str(), rows[0].observed_at),
        ("1.6", later)
    );
    assert_eq!(rows[1].value, "1.5");
    assert_eq!(rows[1].source, "coingecko");
}

#[test]
fn latest_audited_value_per_key_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orcha.db");
    let t = chrono::Utc::now();
    {
        let mut store = Store::open(&path).unwrap();
        store
            .audit_config(
                t,
                "operator",
                "auto_apply:golem:main",
                Some("false"),
                Some("true"),
            )
            .unwrap();
        store
            .audit_config(
                t,
                "operator",
                "automation.paused",
                Some("false"),
                Some("true"),
            )
            .unwrap();
        store
            .audit_config(
                t,
                "operator",
                "auto_apply:golem:main",
                Some("true"),
                Some("false"),
            )
            .unwrap();
        store
            .audit_config(
                t,
                "operator",
                "auto_apply:storj:main",
                Some("false"),
                Some("true"),
            )
            .unwrap();
        // `_` must not act as a wildcard: this key does not start with `auto_apply:`.
        store
            .audit_config(t, "operator", "autoXapply:x", None, Some("true"))
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.latest_audited("auto_apply:").unwrap(),
        vec![
            ("auto_apply:golem:main".to_owned(), Some("false".to_owned())),
            ("auto_apply:storj:main".to_owned(), Some("true".to_owned())),
        ]
    );
    assert_eq!(
        store.latest_audited("automation.paused").unwrap(),
        vec![("automation.paused".to_owned(), Some("true".to_owned()))]
    );
}

#[test]
fn audit_rows_are_chained_and_an_edit_or_deletion_shows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orcha.db");
    let t = from_ms(1_700_000_000_000);
    {
        let mut store = Store::open(&path).unwrap();
        for (i, actor) in ["desktop", "api", "cli", "orchestrator"].iter().enumerate() {
            store
                .audit_config(t, actor, &format!("k{i}"), None, Some("v"))
                .unwrap();
        }
        assert_eq!(store.verify_audit_chain().unwrap(), AuditChain::Intact(4));
        let log = store.audit_log(10, None).unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].actor, "orchestrator", "newest first");
        assert_eq!(log[0].hash.len(), 64);
        assert_eq!(
            store.audit_log(2, Some(log[1].id)).unwrap()[0].id,
            log[2].id
        );
    }
    // Someone edits a row behind Orcha's back: the chain breaks at that row.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE config_audit SET new_value = 'forged' WHERE key = 'k1'",
        [],
    )
    .unwrap();
    let k1: i64 = conn
        .query_row("SELECT id FROM config_audit WHERE key = 'k1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChain::BrokenAt { id: k1 }
    );
    drop(store);
    // Undo the edit, then delete a row in the middle: the next row no longer follows.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE config_audit SET new_value = 'v' WHERE key = 'k1'",
        [],
    )
    .unwrap();
    conn.execute("DELETE FROM config_audit WHERE key = 'k2'", [])
        .unwrap();
    let k3: i64 = conn
        .query_row("SELECT id FROM config_audit WHERE key = 'k3'", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChain::BrokenAt { id: k3 }
    );
}

#[test]
fn database_and_new_data_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("orcha.db");
    let store = Store::open(&path).unwrap();
    drop(store);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
    // A database left world-readable by an older version is tightened at the next open.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}
