//! Every notification channel against a local receiver that checks the exact request: ntfy,
//! the JSON webhook, Discord and Telegram over HTTP (axum), e-mail over a tiny SMTP sink. Also:
//! a failing or slow channel blocks neither the others nor the caller, and its error is visible
//! without the credential.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::Router;
use orcha_api::alerts::rules::{RuleId, Verdict};
use orcha_api::alerts::{self};
use orcha_api::dto::{AlertChannelDto, AlertNotificationDto};
use orcha_core::config::Config;
use orcha_testkit::TestApp;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// An HTTP receiver recording every request; `/fail…` answers 500 and `/slow…` waits 20 s.
async fn receiver() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = Arc::clone(&log);
            async move {
                let path = uri.path().to_owned();
                log.lock().unwrap().push(Seen {
                    method,
                    path: path.clone(),
                    headers,
                    body: body.to_vec(),
                });
                if path.starts_with("/slow") {
                    tokio::time::sleep(Duration::from_secs(20)).await;
                }
                if path.starts_with("/fail") {
                    (StatusCode::INTERNAL_SERVER_ERROR, "receiver is down")
                } else {
                    (StatusCode::OK, "{\"ok\":true}")
                }
            }
        },
    );
    (orcha_testkit::net::stub(app).await, seen)
}

/// Enough SMTP to accept one message per connection: greets, answers EHLO, accepts AUTH
/// PLAIN, MAIL, RCPT and DATA, and records the dialogue.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&lines);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let l = line.trim_end_matches(['\r', '\n']).to_owned();
                    log.lock().unwrap().push(l.clone());
                    if in_data {
                        if l == "." {
                            in_data = false;
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        }
                        continue;
                    }
                    let up = l.to_ascii_uppercase();
                    let reply: &[u8] = if up.starts_with("EHLO") {
                        b"250-sink\r\n250 AUTH PLAIN LOGIN\r\n"
                    } else if up.starts_with("AUTH") {
                        b"235 ok\r\n"
                    } else if up.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if up.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, lines)
}

/// No nodes, a manual clock at the instant the expected texts name, and these secrets.
fn app_with(config: Config, secrets: &[(&str, &str)]) -> TestApp {
    secrets
        .iter()
        .fold(
            TestApp::builder()
                .config(config)
                .clock_at("2026-03-01T12:00:00Z"),
            |app, (k, v)| app.secret(k, v),
        )
        .build()
}

fn header<'a>(s: &'a Seen, name: &str) -> &'a str {
    s.headers.get(name).map_or("", |v| v.to_str().unwrap_or(""))
}

fn status<'a>(all: &'a [AlertChannelDto], ch: &str) -> &'a AlertChannelDto {
    all.iter().find(|c| c.channel == ch).unwrap()
}

const TEXT: &str =
    "This is a test alert from DePIN Orcha: this channel works. (2026-03-01T12:00:00+00:00)";
const TITLE: &str = "Test [info] test on Orcha";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_channel_sends_exactly_the_expected_request() {
    let (base, seen) = receiver().await;
    let (smtp_port, smtp) = smtp_sink().await;
    let mut config = Config::default();
    let a = &mut config.alerts;
    a.ntfy_url = format!("{base}/ntfy/orcha-topic");
    a.webhook_url = format!("{base}/hook");
    a.discord = true;
    a.telegram_chat_id = "4242".into();
    a.telegram_api_url = base.clone();
    a.smtp_host = "127.0.0.1".into();
    a.smtp_port = smtp_port;
    a.smtp_security = "none".into();
    a.smtp_username = "orcha".into();
    a.smtp_from = "orcha@example.org".into();
    a.smtp_to = "ops@example.org, oncall@example.org".into();
    let discord_url = format!("{base}/discord/api/webhooks/1/discord-secret");
    let app = app_with(
        config,
        &[
            ("alerts:ntfy/token", "ntfy-secret-token"),
            ("alerts:webhook/token", "webhook-secret-token"),
            ("alerts:discord/url", &discord_url),
            ("alerts:telegram/token", "123:telegram-secret"),
            ("alerts:smtp/password", "smtp-secret-pw"),
        ],
    );
    let state = Arc::clone(&app.state);

    let result = orcha_api::ops::send_test_alert(&state).await.unwrap();
    for ch in ["ntfy", "webhook", "discord", "telegram", "email"] {
        let s = status(&result, ch);
        assert!(s.configured, "{ch}");
        assert!(s.last_error.is_none(), "{ch}: {:?}", s.last_error);
        assert!(s.last_sent_at.is_some(), "{ch}");
    }

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "{seen:?}");
    let by_path = |p: &str| {
        seen.iter()
            .find(|s| s.path == p)
            .unwrap_or_else(|| panic!("{p}: {seen:?}"))
    };

    let ntfy = by_path("/ntfy/orcha-topic");
    assert_eq!(ntfy.method, Method::POST);
    assert_eq!(header(ntfy, "title"), TITLE);
    assert_eq!(header(ntfy, "priority"), "3");
    assert_eq!(header(ntfy, "tags"), "information_source,test");
    assert_eq!(header(ntfy, "authorization"), "Bearer ntfy-secret-token");
    assert_eq!(String::from_utf8_lossy(&ntfy.body), TEXT);

    let hook = by_path("/hook");
    assert_eq!(header(hook, "content-type"), "application/json");
    assert_eq!(header(hook, "authorization"), "Bearer webhook-secret-token");
    let body: AlertNotificationDto = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({
            "state": "test", "id": null, "rule": "test", "severity": "info", "node": null,
            "message": "This is a test alert from DePIN Orcha: this channel works.",
            "at": "2026-03-01T12:00:00Z"
        })
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&hook.body).unwrap(),
        serde_json::to_value(&body).unwrap(),
        "no extra fields"
    );

    let discord = by_path("/discord/api/webhooks/1/discord-secret");
    assert_eq!(header(discord, "content-type"), "application/json");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&discord.body).unwrap(),
        serde_json::json!({
            "username": "DePIN Orcha",
            "content": format!("**{TITLE}**\n{TEXT}"),
            "allowed_mentions": { "parse": [] }
        })
    );

    let tg = by_path("/bot123:telegram-secret/sendMessage");
    assert_eq!(header(tg, "content-type"), "application/json");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&tg.body).unwrap(),
        serde_json::json!({
            "chat_id": "4242",
            "text": format!("{TITLE}\n{TEXT}"),
            "disable_web_page_preview": true
        })
    );

    let smtp = smtp.lock().unwrap().clone();
    let has = |p: &str| smtp.iter().any(|l| l.starts_with(p));
    assert!(has("EHLO"), "{smtp:?}");
    // AUTH PLAIN carries "\0orcha\0smtp-secret-pw" in base64.
    assert!(
        smtp.iter()
            .any(|l| l.starts_with("AUTH PLAIN") && l.contains("AG9yY2hhAHNtdHAtc2VjcmV0LXB3")),
        "{smtp:?}"
    );
    assert!(has("MAIL FROM:<orcha@example.org>"), "{smtp:?}");
    assert!(has("RCPT TO:<ops@example.org>"), "{smtp:?}");
    assert!(has("RCPT TO:<oncall@example.org>"), "{smtp:?}");
    assert!(has(&format!("Subject: {TITLE}")), "{smtp:?}");
    // The body follows the blank line after the headers, quoted-printable (soft breaks "=").
    let start = smtp.iter().position(String::is_empty).unwrap() + 1;
    let end = smtp.iter().position(|l| l == ".").unwrap();
    let body = smtp[start..end].join("\n").replace("=\n", "");
    assert_eq!(body, TEXT);
    assert!(has("QUIT"), "{smtp:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_slow_channel_blocks_nothing_and_its_error_is_visible() {
    let (base, seen) = receiver().await;
    let (slow_base, _slow_seen) = receiver().await;
    // Port 1: nothing listens there, and unlike a freed ephemeral port it is never handed
    // out as the source port of another connection of this test (which breaks that one).
    let closed = 1;
    let mut config = Config::default();
    let a = &mut config.alerts;
    // Long enough for a loaded CI machine to connect, far shorter than the slow receiver.
    a.send_timeout_secs = 4;
    a.ntfy_url = format!("{base}/ntfy/ok");
    a.webhook_url = format!("{base}/fail/hook");
    a.discord = true;
    a.telegram_chat_id = "1".into();
    a.telegram_api_url = format!("http://127.0.0.1:{closed}");
    let slow = format!("{slow_base}/slow/discord");
    let app = app_with(
        config,
        &[
            ("alerts:discord/url", &slow),
            ("alerts:telegram/token", "999:never-print-me"),
        ],
    );
    let state = Arc::clone(&app.state);
    let started = Instant::now();
    let result = orcha_api::ops::send_test_alert(&state).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(status(&result, "ntfy").last_sent_at.is_some());
    let err = |ch: &str| status(&result, ch).last_error.clone().unwrap_or_default();
    assert!(err("webhook").contains("HTTP 500"), "{}", err("webhook"));
    assert!(
        err("discord").contains("no answer within 4 s"),
        "{}",
        err("discord")
    );
    assert!(
        err("telegram").contains("request failed"),
        "{}",
        err("telegram")
    );
    assert!(
        !err("telegram").contains("never-print-me"),
        "{}",
        err("telegram")
    );
    assert!(!status(&result, "email").configured);
    // The API lists the same state later.
    let later = orcha_api::ops::alert_channels(&state).await.unwrap();
    assert_eq!(later, result);
    let text = state.metrics.render();
    assert!(
        text.contains("orcha_alert_notifications_total{channel=\"webhook\",result=\"error\"} 1"),
        "{text}"
    );
    assert!(text.contains("orcha_alert_notifications_total{channel=\"ntfy\",result=\"ok\"} 1"));
    assert!(!text.contains("never-print-me"));
    drop(seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_notified_on_open_and_clear_and_a_flapping_one_is_rate_limited() {
    let (base, seen) = receiver().await;
    let mut config = Config::default();
    config.alerts.webhook_url = format!("{base}/hook");
    let app = app_with(config, &[]);
    let state = Arc::clone(&app.state);
    let node = Some("storj:main".to_owned());
    let msg = || Verdict::Firing("the node failed 3 polls in a row".into());
    for v in [msg(), msg(), Verdict::Clear, msg()] {
        alerts::apply_verdicts(&state, vec![(RuleId::NodeUnavailable, node.clone(), v)]).await;
    }
    alerts::flush(&state).await;
    let bodies: Vec<AlertNotificationDto> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_slice(&s.body).unwrap())
        .collect();
    let states: Vec<(&str, &str)> = bodies
        .iter()
        .map(|b| (b.state.as_str(), b.rule.as_str()))
        .collect();
    // The repeat is de-duplicated, the re-open within the hour is stored but not notified.
    assert_eq!(
        states,
        [
            ("open", "node_unavailable"),
            ("cleared", "node_unavailable")
        ]
    );
    assert_eq!(bodies[0].node.as_deref(), Some("storj:main"));
    assert_eq!(bodies[0].severity, "critical");
    let stored = state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert_eq!(stored.len(), 2);
    let text = state.metrics.render();
    assert!(
        text.contains(
            "orcha_alert_notifications_total{channel=\"webhook\",result=\"rate_limited\"} 1"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn channel_credentials_have_their_own_validated_names() {
    let app = app_with(Config::default(), &[]);
    let state = Arc::clone(&app.state);
    let ok = orcha_api::ops::set_alert_secret(
        &state,
        orcha_api::dto::SetSecretRequest {
            key: "alerts:telegram/token".into(),
            value: "1:abc".into(),
        },
    )
    .await
    .unwrap();
    assert!(ok.stored);
    for bad in [
        "alerts:telegram/url",
        "golem:main/app_key",
        "alerts:",
        "alerts:../x",
    ] {
        let e = orcha_api::ops::set_alert_secret(
            &state,
            orcha_api::dto::SetSecretRequest {
                key: bad.into(),
                value: "x".into(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("key"), "{bad}");
    }
    let audit = state.db(|s| s.count_config_audit()).await.unwrap();
    assert_eq!(audit, 1);
    let gone = orcha_api::ops::delete_alert_secret(&state, "alerts:telegram/token".into())
        .await
        .unwrap();
    assert!(!gone.stored);
    // Without any channel, a test alert is a clear error.
    let e = orcha_api::ops::send_test_alert(&state).await.unwrap_err();
    assert!(e.message.contains("no alert channel"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_opened_elsewhere_are_notified_once_and_not_again_after_a_restart() {
    let (base, seen) = receiver().await;
    let mut config = Config::default();
    config.alerts.webhook_url = format!("{base}/hook");
    let app = app_with(config, &[]);
    let state = Arc::clone(&app.state);
    alerts::after_cycle(&state, 1).await;
    // What the apply step does on a rollback: it opens the alert in the store itself.
    let at = state.clock.now();
    state
        .db(move |s| {
            s.open_alert(
                Some("golem:main"),
                "allocation_rollback",
                "critical",
                "applying failed; rolled back",
                at,
            )
        })
        .await
        .unwrap();
    alerts::after_cycle(&state, 2).await;
    alerts::after_cycle(&state, 3).await;
    alerts::flush(&state).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    let body: AlertNotificationDto = serde_json::from_slice(&seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(
        (body.rule.as_str(), body.state.as_str()),
        ("allocation_rollback", "open")
    );
    drop(state);
    // A restart on the same database does not notify the still-open alert again.
    let app = app.restart();
    let again = Arc::clone(&app.state);
    alerts::after_cycle(&again, 4).await;
    alerts::after_cycle(&again, 5).await;
    alerts::flush(&again).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
}
