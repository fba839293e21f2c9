//! The tc backend for real, inside two network namespaces this test creates and a veth pair
//! between them (10.x addresses exist only inside those namespaces, so the traffic never leaves
//! them). A bounded local transfer is timed before and after capping the sender's egress.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sched::{setns, CloneFlags};
use orcha_core::ResourceKind;
use orcha_enforce::tc::TrafficBackend;
use orcha_enforce::{EnforcementBackend, Limits, UNLIMITED};

/// Deletes the namespaces (and with them the veth pair) even when the test fails.
struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {}", args.join(" "));
}

/// Runs `f` on a thread that has entered network namespace `ns`.
fn in_ns<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let fd = File::open(&path).expect("open netns");
        setns(fd, CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
}

/// Creates namespaces `a` and `b` (deleted by the returned guard) joined by a veth pair:
/// `dev_a` with `<net>.1/30` in `a`, `dev_b` with `<net>.2/30` in `b`.
fn veth_pair(a: &str, b: &str, dev_a: &str, dev_b: &str, net: &str) -> Namespaces {
    let guard = Namespaces(vec![a.to_owned(), b.to_owned()]);
    ip(&["netns", "add", a]);
    ip(&["netns", "add", b]);
    ip(&[
        "link", "add", dev_a, "netns", a, "type", "veth", "peer", "name", dev_b, "netns", b,
    ]);
    ip(&["-n", a, "addr", "add", &format!("{net}.1/30"), "dev", dev_a]);
    ip(&["-n", b, "addr", "add", &format!("{net}.2/30"), "dev", dev_b]);
    for (ns, dev) in [(a, dev_a), (b, dev_b)] {
        ip(&["-n", ns, "link", "set", dev, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    guard
}

fn send_all(s: &mut TcpStream, bytes: usize) {
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min(bytes - sent);
        s.write_all(&chunk[..n]).expect("write");
        sent += n;
    }
}

/// Reads up to `bytes` and returns the throughput in bit/s, timed from the first byte.
fn receive_rate(s: &mut TcpStream, bytes: usize) -> f64 {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut got, mut first) = (0usize, None);
    while got < bytes {
        let n = s.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        first.get_or_insert_with(Instant::now);
        got += n;
    }
    let secs = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    got as f64 * 8.0 / secs.max(1e-6)
}

/// Which end of the connection sends the data.
#[derive(Clone, Copy)]
enum Sender {
    /// The side that connects (a client uploading from an ephemeral port).
    Client,
    /// The side that listens (a node serving from its own port).
    Server,
}

/// Listens in `server_ns` on `server_ip:port`, connects from `client_ns`, moves `bytes` the way
/// `sender` says and returns the receiving end's throughput in bit/s.
fn timed_flow(
    server_ns: &str,
    client_ns: &str,
    server_ip: [u8; 4],
    port: u16,
    bytes: usize,
    sender: Sender,
) -> f64 {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = in_ns(server_ns, move || {
        let l = TcpListener::bind((std::net::Ipv4Addr::from(server_ip), port)).expect("bind");
        ready_tx.send(()).unwrap();
        let (mut s, _) = l.accept().expect("accept");
        match sender {
            Sender::Server => {
                send_all(&mut s, bytes);
                None
            }
            Sender::Client => Some(receive_rate(&mut s, bytes)),
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("server ready");
    let client = in_ns(client_ns, move || {
        let to = std::net::SocketAddr::from((server_ip, port));
        let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(5)).expect("connect");
        match sender {
            Sender::Client => {
                send_all(&mut s, bytes);
                None
            }
            Sender::Server => Some(receive_rate(&mut s, bytes)),
        }
    });
    let (client, server) = (client.join().unwrap(), server.join().unwrap());
    client.or(server).expect("one end received")
}

/// Sends `bytes` from namespace a to b and returns the receiver's throughput in bit/s.
fn transfer(a: &str, b: &str, port: u16, bytes: usize) -> f64 {
    timed_flow(b, a, [10, 77, 0, 2], port, bytes, Sender::Client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capped_egress_is_measured_within_20_percent() {
    let pid = std::process::id();
    let (a, b) = (format!("orcha-tca-{pid}"), format!("orcha-tcb-{pid}"));
    let _guard = veth_pair(&a, &b, "otc0", "otc1", "10.77.0");

    let backend = TrafficBackend::new("otc0", Some(&a));
    assert_eq!(
        backend.read().await.unwrap()[&ResourceKind::Bandwidth],
        UNLIMITED
    );
    let before = transfer(&a, &b, 5201, 4 * 1024 * 1024);

    let cap = 8_000_000;
    let read = backend
        .apply(&Limits::from([(ResourceKind::Bandwidth, cap)]))
        .await
        .unwrap();
    assert_eq!(read[&ResourceKind::Bandwidth], cap);
    let after = transfer(&a, &b, 5202, 3 * 1024 * 1024);
    println!(
        "egress before the cap {:.0} Mbit/s, with an 8 Mbit/s cap {:.2} Mbit/s",
        before / 1e6,
        after / 1e6
    );
    assert!(before > 2.0 * cap as f64, "uncapped veth is fast: {before}");
    let ratio = after / cap as f64;
    assert!(
        (0.8..=1.2).contains(&ratio),
        "capped throughput {after} is {ratio:.2} x the cap"
    );

    // Lifting the cap removes the qdisc and reads back as unlimited.
    let read = backend
        .apply(&Limits::from([(ResourceKind::Bandwidth, UNLIMITED)]))
        .await
        .unwrap();
    assert_eq!(read[&ResourceKind::Bandwidth], UNLIMITED);
}

/// Serves `bytes` from namespace `a` on `port` (the node's listening port) to a client in `b`
/// and returns the client's throughput in bit/s: the node's egress leaves from `port`.
fn serve_download(a: &str, b: &str, port: u16, bytes: usize) -> f64 {
    timed_flow(a, b, [10, 78, 0, 1], port, bytes, Sender::Server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_shared_device_only_the_nodes_ports_are_capped() {
    let pid = std::process::id();
    let (a, b) = (format!("orcha-tcsa-{pid}"), format!("orcha-tcsb-{pid}"));
    let _guard = veth_pair(&a, &b, "ots0", "ots1", "10.78.0");
    // Two nodes share the device: a Storj-like node serving from 28967 and another from 32200.
    let storj = TrafficBackend::on_shared_device("ots0", Some(&a), &[28967]);
    let streamr = TrafficBackend::on_shared_device("ots0", Some(&a), &[32200]);
    assert_eq!(
        storj.read().await.unwrap()[&ResourceKind::Bandwidth],
        UNLIMITED
    );

    let cap = 8_000_000;
    let read = storj
        .apply(&Limits::from([(ResourceKind::Bandwidth, cap)]))
        .await
        .unwrap();
    assert_eq!(read[&ResourceKind::Bandwidth], cap);
    // The second node's class joins the first's without disturbing it.
    streamr
        .apply(&Limits::from([(ResourceKind::Bandwidth, 40_000_000)]))
        .await
        .unwrap();
    assert_eq!(storj.read().await.unwrap()[&ResourceKind::Bandwidth], cap);

    let capped = serve_download(&a, &b, 28967, 3 * 1024 * 1024);
    let other = serve_download(&a, &b, 5300, 16 * 1024 * 1024);
    println!(
        "shared device: node port capped at 8 Mbit/s {:.2} Mbit/s, unclassified port {:.0} Mbit/s",
        capped / 1e6,
        other / 1e6
    );
    let ratio = capped / cap as f64;
    assert!(
        (0.8..=1.2).contains(&ratio),
        "the node's port gets {capped} = {ratio:.2} x the cap"
    );
    assert!(
        other > 3.0 * cap as f64,
        "traffic from other ports is not shaped: {other}"
    );

    // Lifting one node's cap removes only its class and filters.
    let read = storj
        .apply(&Limits::from([(ResourceKind::Bandwidth, UNLIMITED)]))
        .await
        .unwrap();
    assert_eq!(read[&ResourceKind::Bandwidth], UNLIMITED);
    assert_eq!(
        streamr.read().await.unwrap()[&ResourceKind::Bandwidth],
        40_000_000
    );
    let free = serve_download(&a, &b, 28967, 16 * 1024 * 1024);
    assert!(free > 3.0 * cap as f64, "uncapped again: {free}");
}
