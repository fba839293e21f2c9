//! The apply transaction: audit before any change, node by node, rollback of every node already
//! changed when one fails, an alert, and the whole story in the decision and the audit log.
//! Also one optimize → evaluate pass on the same fakes (fallback optimizer, dry-run default).

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use orcha_api::cycle::apply::{transact, NodeChange};
use orcha_api::cycle::predict::{Forecasts, NodeForecast};
use orcha_api::cycle::{evaluate, optimize};
use orcha_api::policy::Amounts;
use orcha_core::config::Config;
use orcha_core::*;
use orcha_testkit::{FakeNode, TestApp};

const CPU: ResourceKind = ResourceKind::Cpu;

/// Golem nodes with one CPU knob at 2000 millicores; asking `fail` for 5000 fails.
fn world(names: &[&str], fail: &str, config: Config) -> TestApp {
    let mut app = TestApp::builder()
        .config(config)
        .clock_at("2026-03-01T12:00:00Z");
    for name in names {
        let id = format!("golem:{name}");
        let mut node = FakeNode::new(&id).cpu_knob(2000);
        if *name == fail {
            let error = if name.starts_with("busy") {
                // What the Golem adapter answers when activities run: refused, nothing written.
                AdapterError::Unsupported {
                    what: format!("{id}: refused: 1 activities are running"),
                }
            } else {
                AdapterError::Unreachable {
                    endpoint: "ya-provider profile update".into(),
                    reason: "connection refused".into(),
                }
            };
            node = node.fail_apply_at(CPU, 5000, error);
        }
        app = app.node(node);
    }
    app.build()
}

fn change(name: &str, before: u64, after: u64) -> NodeChange {
    NodeChange {
        node: format!("golem:{name}").parse().unwrap(),
        before: Amounts::from([(ResourceKind::Cpu, before)]),
        after: Amounts::from([(ResourceKind::Cpu, after)]),
        restart: false,
    }
}

/// (actor, key, old, new) of every audit row, oldest first.
fn audit_rows(db: &std::path::Path) -> Vec<(String, String, String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT actor, key, old_value, new_value FROM config_audit ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn second_of_three_fails_first_is_restored_audited_and_alerted() {
    let w = world(&["a", "b", "c"], "b", Config::default());
    let mut events = w.state.subscribe();
    let id = evaluate::record(&w.state, None, "apply", "test plan", None)
        .await
        .unwrap();
    let report = transact(
        &w.state,
        id,
        "orchestrator",
        &[
            change("a", 2000, 4000),
            change("b", 2000, 5000),
            change("c", 2000, 3000),
        ],
    )
    .await;

    assert_eq!(report.status, "rolled_back", "{}", report.detail);
    assert!(report.detail.contains("golem:b"), "{}", report.detail);
    // a was changed, then restored; b failed and was written back; c was never touched.
    assert_eq!(w.fake(0).writes(CPU), vec![4000, 2000]);
    assert_eq!(w.fake(0).knob(CPU), Some(2000));
    assert_eq!(w.fake(1).writes(CPU), vec![5000, 2000]);
    assert!(w.fake(2).writes(CPU).is_empty());

    // Audit: all three changes before anything happened, then the rollbacks.
    let rows = audit_rows(w.db_path());
    let keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|(actor, key, _, _)| (actor.as_str(), key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("orchestrator", "allocation:golem:a"),
            ("orchestrator", "allocation:golem:b"),
            ("orchestrator", "allocation:golem:c"),
            ("rollback", "allocation:golem:b"),
            ("rollback", "allocation:golem:a"),
        ]
    );
    assert_eq!(rows[0].2, r#"{"cpu":2000}"#);
    assert_eq!(rows[0].3, r#"{"cpu":4000}"#);
    assert_eq!(rows[4].3, r#"{"cpu":2000}"#);

    // The decision tells the story.
    let d = w.state.db(|s| s.decisions(1)).await.unwrap().remove(0);
    let applied: serde_json::Value =
        serde_json::from_str(d.applied_result.as_deref().unwrap()).unwrap();
    assert_eq!(applied["status"], "rolled_back");
    assert_eq!(applied["failed_node"], "golem:b");
    let rollback: serde_json::Value = serde_json::from_str(d.rollback.as_deref().unwrap()).unwrap();
    assert_eq!(rollback["restored"]["golem:a"]["cpu"], 2000);

    // An alert is stored and emitted.
    let alerts = w.state.db(|s| s.alerts(false, 10)).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule, "allocation_rollback");
    let emitted = orcha_testkit::wait::alert_events(&mut events);
    assert!(
        emitted.last().is_some_and(
            |a| a.rule == "allocation_rollback" && a.node.as_deref() == Some("golem:b")
        ),
        "an alert event is emitted"
    );
}

#[tokio::test]
async fn a_refused_node_is_not_written_back_but_the_others_are() {
    let w = world(&["a", "busy"], "busy", Config::default());
    let id = evaluate::record(&w.state, None, "apply", "test plan", None)
        .await
        .unwrap();
    let report = transact(
        &w.state,
        id,
        "orchestrator",
        &[change("a", 2000, 4000), change("busy", 2000, 5000)],
    )
    .await;
    assert_eq!(report.status, "rolled_back");
    assert!(report.detail.contains("refused"), "{}", report.detail);
    assert_eq!(w.fake(0).writes(CPU), vec![4000, 2000]);
    // The refusal changed nothing, so nothing is written back to that node.
    assert_eq!(w.fake(1).writes(CPU), vec![5000]);
    let alerts = w.state.db(|s| s.alerts(false, 10)).await.unwrap();
    assert_eq!(
        alerts[0].severity, "warning",
        "a clean rollback is a warning"
    );
}

#[tokio::test]
async fn a_clean_apply_is_recorded_and_becomes_the_known_allocation() {
    let w = world(&["a", "b"], "none", Config::default());
    let id = evaluate::record(&w.state, None, "apply", "test plan", None)
        .await
        .unwrap();
    let report = transact(
        &w.state,
        id,
        "operator",
        &[change("a", 2000, 3000), change("b", 2000, 1000)],
    )
    .await;
    assert_eq!(report.status, "applied", "{}", report.detail);
    assert_eq!(w.fake(1).knob(CPU), Some(1000));
    let h = optimize::history(&w.state).await;
    let a: NodeId = "golem:a".parse().unwrap();
    assert_eq!(h.applied[&a][&ResourceKind::Cpu], 3000);
    assert!(w
        .state
        .db(|s| s.alerts(false, 10))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_surge_in_one_nodes_forecast_proposes_moving_cores_to_it_in_dry_run() {
    let mut config = Config::default();
    config
        .allocation
        .fiat_per_token
        .insert("glm".into(), "0.25".into());
    // Two cores granted outright, so the test does not depend on the machine.
    config.allocation.grant_cpu_cores = 2.0;
    let w = world(&["a", "b"], "none", config);
    // Both nodes earn alike per core; only the forecast tells them apart.
    seed_history(&w, "a", 1.0).await;
    seed_history(&w, "b", 1.0).await;
    // Orcha learns the allocation in force from what it applied.
    let id = evaluate::record(&w.state, None, "apply", "setup", None)
        .await
        .unwrap();
    transact(
        &w.state,
        id,
        "operator",
        &[change("a", 2000, 1000), change("b", 2000, 1000)],
    )
    .await;

    let forecast = |rate: f64| NodeForecast {
        model: "test".into(),
        p10: vec![rate; 24],
        p50: vec![rate; 24],
        p90: vec![rate; 24],
        mase: None,
        baseline_mase: None,
    };
    let forecasts = Forecasts {
        per_node: BTreeMap::from([
            ("golem:a".parse().unwrap(), forecast(8.0)),
            ("golem:b".parse().unwrap(), forecast(0.2)),
        ]),
    };
    let now = w.state.clock.now();
    let cycle = w.state.db(move |s| s.begin_cycle(now)).await.unwrap();
    let (outcome, plan) = optimize::run(&w.state, cycle, Some(&forecasts), "").await;
    let plan = plan.unwrap_or_else(|| panic!("a plan: {outcome:?}"));
    assert_eq!(
        plan.source,
        orcha_api::policy::PlanSource::Fallback,
        "the ML engine is down"
    );
    let a: NodeId = "golem:a".parse().unwrap();
    let b: NodeId = "golem:b".parse().unwrap();
    let (pa, pb) = (
        plan.proposed(&a).unwrap()[&ResourceKind::Cpu],
        plan.proposed(&b).unwrap()[&ResourceKind::Cpu],
    );
    assert!(
        pa > 1000 && pb < 1000,
        "cores move to the surging node: a {pa}, b {pb}"
    );

    let (_, ev) = evaluate::run(&w.state, cycle, Some(plan), "")
        .await
        .unwrap();
    assert_eq!(ev.verdict, "recommend", "{}", ev.reason);
    assert!(ev.reason.contains("fallback"), "{}", ev.reason);
    let d = w.state.db(|s| s.decisions(1)).await.unwrap().remove(0);
    assert!(d.expected_gain.unwrap().ends_with(" USD"));
    assert!(d.proposed_plan.unwrap().contains("\"golem:a\""));
}

/// Three days of hourly lifetime earnings while Orcha moved the node's CPU a day at a time
/// (0.5, 1.5, then 1 core), earning `a·ln(1 + cores)` GLM/h, so its response can be fitted.
/// Seeded before anything else is applied: the decision log lists the newest row first.
async fn seed_history(w: &TestApp, name: &str, a: f64) {
    let id: NodeId = format!("golem:{name}").parse().unwrap();
    let now = w.state.clock.now();
    let start = now - chrono::Duration::hours(72);
    let levels = [500u64, 1500, 1000];
    let mut total = 1.0;
    for h in 0..=72i64 {
        let at = start + chrono::Duration::hours(h);
        if h > 0 {
            let cores = levels[((h - 1) / 24) as usize] as f64 / 1000.0;
            total += a * cores.ln_1p();
        }
        let data = EarningsData {
            observed_at: at,
            figures: vec![(
                EarningsKind::Lifetime,
                Money::parse_decimal(&format!("{total:.9}"), Token::Glm, 18).unwrap(),
            )],
        };
        let id = id.clone();
        w.state
            .db(move |s| s.insert_earnings(&id, &data))
            .await
            .unwrap();
    }
    for (day, pair) in [
        (0i64, (2000u64, 500u64)),
        (1, (500, 1500)),
        (2, (1500, 1000)),
    ] {
        let at = start + chrono::Duration::hours(24 * day);
        let result = serde_json::json!({
            "status": "applied",
            "actor": "orchestrator",
            "at": at.to_rfc3339(),
            "nodes": {id.to_string(): {
                "before": {"cpu": pair.0}, "after": {"cpu": pair.1},
                "restart_pending": false, "restarted": false
            }}
        });
        let row = orcha_store::DecisionRow {
            id: 0,
            cycle: None,
            created_at: orcha_store::to_ms(at),
            forecast_digest: None,
            proposed_plan: None,
            expected_gain: None,
            switching_cost: None,
            verdict: "apply".into(),
            reason: "seeded history".into(),
            applied_result: Some(result.to_string()),
            rollback: None,
        };
        w.state.db(move |s| s.insert_decision(&row)).await.unwrap();
    }
}

#[tokio::test]
async fn operator_controls_what_if_auto_apply_and_approval() {
    use orcha_api::dto::*;
    use orcha_api::ops;
    let mut config = Config::default();
    config
        .allocation
        .fiat_per_token
        .insert("glm".into(), "0.25".into());
    config.allocation.grant_cpu_cores = 2.0;
    let w = world(&["a", "b"], "none", config);
    seed_history(&w, "a", 8.0).await; // 8·ln 2 GLM/h at one core
    seed_history(&w, "b", 0.2).await;
    let id = evaluate::record(&w.state, None, "apply", "setup", None)
        .await
        .unwrap();
    transact(
        &w.state,
        id,
        "operator",
        &[change("a", 2000, 1000), change("b", 2000, 1000)],
    )
    .await;
    // The belief, served: fitted from the three days, one more core of `a` earns about
    // 8 GLM·0.25 USD/GLM·b/(1 + b·1 core) = 1 USD/h, with its range around it.
    let curves = ops::response_curves(&w.state).await.unwrap();
    assert_eq!(curves.nodes.len(), 2);
    let cpu = &curves.nodes[0].resources[0];
    assert_eq!((cpu.resource.as_str(), cpu.unit.as_str()), ("cpu", "core"));
    assert_eq!(cpu.status, "fitted", "{cpu:?}");
    assert_eq!(cpu.operating_point, 1.0);
    let p50: f64 = cpu.marginal_per_hour.p50.parse().unwrap();
    assert!((p50 - 1.0).abs() < 0.15, "{cpu:?}");
    let (p10, p90): (f64, f64) = (
        cpu.marginal_per_hour.p10.parse().unwrap(),
        cpu.marginal_per_hour.p90.parse().unwrap(),
    );
    assert!(p10 <= p50 && p50 <= p90, "{cpu:?}");

    // What-if: moving cores to the node that earns more is worth it; the answer names the gain.
    let amounts = |cpu: &str| {
        vec![ResourceAmountDto {
            resource: "cpu".into(),
            amount: cpu.into(),
        }]
    };
    let answer = ops::what_if(
        &w.state,
        WhatIfRequest {
            nodes: vec![
                NodeAmountsDto {
                    node: "golem:a".into(),
                    amounts: amounts("1800"),
                },
                NodeAmountsDto {
                    node: "golem:b".into(),
                    amounts: amounts("200"),
                },
            ],
        },
    )
    .await
    .unwrap();
    assert_eq!(answer.verdict, "apply", "{}", answer.reason);
    assert!(answer.expected_gain.ends_with(" USD"));
    assert!(answer.nodes[0].earnings_after_per_hour.is_some());
    let bad = ops::what_if(
        &w.state,
        WhatIfRequest {
            nodes: vec![NodeAmountsDto {
                node: "golem:a".into(),
                amounts: vec![ResourceAmountDto {
                    resource: "gpu".into(),
                    amount: "1".into(),
                }],
            }],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("nodes"));

    // A cycle's plan is only recommended (dry-run default) and shows up as the allocation.
    let now = w.state.clock.now();
    let cycle = w.state.db(move |s| s.begin_cycle(now)).await.unwrap();
    let (_, plan) = optimize::run(&w.state, cycle, None, "ML engine unavailable").await;
    let (_, ev) = evaluate::run(&w.state, cycle, plan, "").await.unwrap();
    assert_eq!(ev.verdict, "recommend", "{}", ev.reason);
    let shown = ops::allocation(&w.state).await.unwrap();
    assert_eq!(shown.decision_id, Some(ev.decision_id));
    assert_eq!(shown.source.as_deref(), Some("fallback"));
    assert_eq!(shown.nodes.len(), 2);
    assert!(!shown.nodes[0].changes.is_empty());

    // The operator approves it by hand: it is applied and recorded as a new decision.
    let done = ops::approve_plan(
        &w.state,
        ApprovePlanRequest {
            decision_id: ev.decision_id,
        },
        orcha_api::Actor::Desktop,
    )
    .await
    .unwrap();
    assert_eq!(done.status, "applied", "{}", done.detail);
    assert!(w.fake(0).knob(CPU).unwrap() > 1000);
    // Approving a decision that is not a recommendation is a conflict.
    let again = ops::approve_plan(
        &w.state,
        ApprovePlanRequest {
            decision_id: done.decision_id,
        },
        orcha_api::Actor::Desktop,
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, orcha_api::ErrorCode::Conflict);

    // Per-node auto-apply switch, audited; unknown nodes are refused.
    ops::set_auto_apply(
        &w.state,
        AutoApplyRequest {
            node: "golem:a".into(),
            enabled: true,
        },
        orcha_api::Actor::Desktop,
    )
    .await
    .unwrap();
    assert_eq!(
        w.state.allocation.auto_apply(&"golem:a".parse().unwrap()),
        Some(true)
    );
    assert!(audit_rows(w.db_path())
        .iter()
        .any(|(_, k, o, n)| k == "auto_apply:golem:a" && o == "false" && n == "true"));
    let err = ops::set_auto_apply(
        &w.state,
        AutoApplyRequest {
            node: "golem:zz".into(),
            enabled: true,
        },
        orcha_api::Actor::Desktop,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, orcha_api::ErrorCode::NotFound);
}
