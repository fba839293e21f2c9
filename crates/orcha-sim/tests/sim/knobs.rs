//! The nodes' real knobs (ya-provider profile, Storj config.yaml) change the node and its future earnings.

use super::*;

#[tokio::test]
async fn the_fake_ya_provider_changes_the_golem_profile() {
    let (h, _dir) = start(Scenario::minimal()).await;
    let ya = h.ya_provider_path().to_owned();
    let run = |args: &[&str]| std::process::Command::new(&ya).args(args).output().unwrap();
    let list = run(&["profile", "list"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_shape("golem/ya-provider_profile_list.json", &list);
    assert_eq!(list["default"]["cpu_threads"], 4);
    let active: Value = serde_json::from_slice(&run(&["profile", "active"]).stdout).unwrap();
    assert_eq!(active, "default");
    let presets: Value =
        serde_json::from_slice(&run(&["--json", "preset", "list"]).stdout).unwrap();
    assert_shape("golem/ya-provider_preset_list.json", &presets);
    let globals: Value = serde_json::from_slice(&run(&["config", "get"]).stdout).unwrap();
    assert_shape("golem/globals.json", &globals);

    let upd = run(&[
        "profile",
        "update",
        "--name",
        "default",
        "--cpu-threads",
        "6",
        "--mem-gib",
        "12.5",
        "--storage-gib",
        "80",
    ]);
    assert!(
        upd.status.success(),
        "{}",
        String::from_utf8_lossy(&upd.stderr)
    );
    assert!(!run(&["profile", "update", "--cpu-threads", "many"])
        .status
        .success());
    assert!(!run(&["profile", "update"]).status.success());
    h.step(chrono::Duration::minutes(1)).await.unwrap();
    let a = h.allocation();
    assert_eq!(
        (a.golem_cpu_threads, a.golem_mem_gib, a.golem_storage_gib),
        (6.0, 12.5, 80.0)
    );
    assert_eq!(h.history().last().unwrap().cause, "hardware.json");
    let offers = golem_json(&h, "/market-api/v1/offers").await;
    assert_eq!(offers[0]["properties"]["golem.inf.cpu.threads"], 6);
    let list: Value = serde_json::from_slice(&run(&["profile", "list"]).stdout).unwrap();
    assert_eq!(list["default"]["mem_gib"], 12.5);
    h.shutdown().await;
}

#[tokio::test]
async fn storj_config_change_restarts_the_node_and_rejects_too_small_allocations() {
    let (h, _dir) = start(Scenario::minimal()).await;
    let cfg = h.storj_config_path().to_owned();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let new = text.replace("2000.00 GB", "3TB");
    assert_ne!(text, new);
    std::fs::write(&cfg, new).unwrap();
    h.step(chrono::Duration::minutes(1)).await.unwrap();
    // Restarting: the console port is closed for the restart's duration.
    let down = client()
        .get(format!("{}/api/sno/", h.storj_url()))
        .send()
        .await;
    assert!(down.is_err(), "the node is restarting");
    h.step(chrono::Duration::minutes(20)).await.unwrap();
    let sno = get_json(&format!("{}/api/sno/", h.storj_url())).await;
    assert_eq!(sno["diskSpace"]["allocated"], 3_000_000_000_000u64);
    assert_eq!(h.history().last().unwrap().cause, "config.yaml");

    std::fs::write(&cfg, "storage.allocated-disk-space: 100 GB\n").unwrap();
    h.step(chrono::Duration::minutes(30)).await.unwrap();
    assert!(
        client()
            .get(format!("{}/api/sno/", h.storj_url()))
            .send()
            .await
            .is_err(),
        "below 500 GB the node does not start"
    );
    std::fs::write(&cfg, "storage.allocated-disk-space: 1TB\n").unwrap();
    h.step(chrono::Duration::minutes(30)).await.unwrap();
    let sno = get_json(&format!("{}/api/sno/", h.storj_url())).await;
    assert_eq!(sno["diskSpace"]["allocated"], 1_000_000_000_000u64);
    h.shutdown().await;
}

#[tokio::test]
async fn knob_changes_change_future_earnings() {
    // Twin simulators, same seed; one gives Golem 7 threads through the real CLI.
    let (a, _da) = start(Scenario::minimal()).await;
    let (b, _db) = start(Scenario::minimal()).await;
    let out = std::process::Command::new(b.ya_provider_path())
        .args(["profile", "update", "--cpu-threads", "7"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // And Storj gets a smaller allocation through config.yaml.
    std::fs::write(
        b.storj_config_path(),
        "storage.allocated-disk-space: 600 GB\n",
    )
    .unwrap();
    for h in [&a, &b] {
        h.step(chrono::Duration::days(2)).await.unwrap();
    }
    let (la, lb) = (a.ledger(), b.ledger());
    assert!(
        lb.usd_by_node["golem"] > la.usd_by_node["golem"] * 1.1,
        "{la:?} {lb:?}"
    );
    // Shrinking Storj below its used space deletes nothing: b keeps earning on the data it
    // holds but takes no more ingress (and lost a restart), while a keeps filling.
    assert!(
        lb.usd_by_node["storj"] < la.usd_by_node["storj"],
        "{la:?} {lb:?}"
    );
    let (ua, ub) = (
        a.with_world(|w| w.storj_used_gb()),
        b.with_world(|w| w.storj_used_gb()),
    );
    assert!(ua > 1000.0 + 10.0, "a keeps filling: {ua}");
    assert_eq!(ub, 1000.0, "b is over its allocation: no ingress");
    // The marginal values are exposed for checking fitted ones.
    let curves = a.marginal_values();
    assert!(curves.iter().any(|c| c.protocol == ProtocolId::Golem
        && c.usd_per_hour_per_unit.is_finite()
        && c.usd_per_hour_per_unit >= 0.0));
    let json = get_json(&format!("{}/control/curves", a.control_url())).await;
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["protocol"] == "storj" && c["resource"] == "disk"));
    a.shutdown().await;
    b.shutdown().await;
}
