//! Network accounting with real parts: a veth pair between two namespaces the test creates,
//! an HTB class on one end, and a node process living in the other namespace.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use orcha_usage::procs::own_namespace_net;
use orcha_usage::{MeterSpec, NodeMeter, ProcessSelector, Source, TcClass, UsageTarget};

/// UDP payload bytes sent per batch (200 datagrams of 1000 bytes).
const PAYLOAD: u64 = 200 * 1000;

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces joined by a veth pair: `oua` 10.250.0.1 in `a`, `oub` 10.250.0.2 in `b`,
/// with an HTB root and class `1:10` on `oua`. Both namespaces go when it is dropped.
struct Lab {
    a: String,
    b: String,
    node: Option<Child>,
}

impl Lab {
    fn new() -> Lab {
        let id = std::process::id();
        let lab = Lab {
            a: format!("orcha-usage-a-{id}"),
            b: format!("orcha-usage-b-{id}"),
            node: None,
        };
        ip(&["netns", "add", &lab.a]);
        ip(&["netns", "add", &lab.b]);
        ip(&[
            "-n", &lab.a, "link", "add", "oua", "type", "veth", "peer", "name", "oub", "netns",
            &lab.b,
        ]);
        ip(&["-n", &lab.a, "addr", "add", "10.250.0.1/30", "dev", "oua"]);
        ip(&["-n", &lab.b, "addr", "add", "10.250.0.2/30", "dev", "oub"]);
        for (ns, dev) in [
            (&lab.a, "oua"),
            (&lab.b, "oub"),
            (&lab.a, "lo"),
            (&lab.b, "lo"),
        ] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        let tc = |args: &[&str]| {
            let out = Command::new("tc")
                .args(["-n", &lab.a])
                .args(args)
                .output()
                .expect("run tc");
            assert!(
                out.status.success(),
                "tc {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        tc(&[
            "qdisc", "add", "dev", "oua", "root", "handle", "1:", "htb", "default", "10",
        ]);
        tc(&[
            "class", "add", "dev", "oua", "parent", "1:", "classid", "1:10", "htb", "rate",
            "100mbit",
        ]);
        lab
    }

    /// A stand-in node process inside namespace `b` (`ip netns exec` execs, keeping the pid).
    fn start_node(&mut self) -> u32 {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.b, "sleep", "60"])
            .spawn()
            .expect("start sleep in b");
        let pid = child.id();
        self.node = Some(child);
        // Wait until the exec into the namespace has happened.
        for _ in 0..100 {
            if own_namespace_net(pid as i32, "t").is_ok_and(|n| n.is_some()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        pid
    }

    /// Sends `PAYLOAD` bytes of UDP from `a` to `b` (nothing listens; the bytes still cross).
    fn send(&self) {
        let script = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
                      [s.sendto(b'x'*1000,('10.250.0.2',9)) for _ in range(200)]";
        let out = Command::new("ip")
            .args(["netns", "exec", &self.a, "python3", "-c", script])
            .output()
            .expect("run python3 in a");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn warm_up(&self) {
        // The first datagram waits for ARP; send one batch so the measured one flows straight.
        self.send();
        std::thread::sleep(Duration::from_millis(300));
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(c) = self.node.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[tokio::test]
async fn tc_class_and_node_namespace_counters_grow_by_what_was_sent() {
    let mut lab = Lab::new();
    let node_pid = lab.start_node();
    lab.warm_up();
    let class = TcClass::new("oua", Some(&lab.a), "1:10");
    let timeout = Duration::from_secs(10);

    // The tc class on the sender's side.
    let tc0 = class.sent_bytes("test", timeout).await.expect("tc before");
    let rx0 = own_namespace_net(node_pid as i32, "test")
        .expect("net before")
        .expect("own ns");
    // A meter for the node in `b` (its own namespace), and one for a host process whose
    // egress is shaped by the class (no namespace of its own, so tc is its only source).
    let mut node = NodeMeter::new(MeterSpec::new(UsageTarget::Process(ProcessSelector::Pid(
        node_pid,
    ))));
    let mut spec = MeterSpec::new(UsageTarget::Process(ProcessSelector::Pid(
        std::process::id(),
    )));
    spec.tc_class = Some(class.clone());
    let mut shaped = NodeMeter::new(spec);
    let t0 = Instant::now();
    node.sample(t0).await.expect("node first");
    shaped.sample(t0).await.expect("shaped first");

    lab.send();

    let tc1 = class.sent_bytes("test", timeout).await.expect("tc after");
    let rx1 = own_namespace_net(node_pid as i32, "test")
        .expect("net after")
        .expect("own ns");
    eprintln!("tc class 1:10 sent {} bytes, node's namespace received {} bytes, {PAYLOAD} payload bytes sent", tc1 - tc0, rx1.rx - rx0.rx);
    assert!(
        tc1 - tc0 >= PAYLOAD,
        "tc counter grew {} < {PAYLOAD}",
        tc1 - tc0
    );
    assert!(
        rx1.rx - rx0.rx >= PAYLOAD,
        "rx grew {} < {PAYLOAD}",
        rx1.rx - rx0.rx
    );

    // The rates, times the interval we passed, give back at least the bytes sent.
    let dt = Duration::from_secs(2);
    let r = node.sample(t0 + dt).await.expect("node second");
    let down = r.net_down_bps.expect("download measured");
    assert_eq!(down.source, Source::Netns);
    assert!(
        down.value * 2 / 8 >= PAYLOAD * 99 / 100,
        "{} bit/s over 2 s",
        down.value
    );
    let r = shaped.sample(t0 + dt).await.expect("shaped second");
    let up = r.net_up_bps.expect("upload measured from tc");
    assert_eq!(up.source, Source::Tc);
    assert!(
        up.value * 2 / 8 >= PAYLOAD * 99 / 100,
        "{} bit/s over 2 s",
        up.value
    );
    assert_eq!(r.net_down_bps, None, "tc counts egress only");
}

#[tokio::test]
async fn a_missing_class_or_device_names_the_command() {
    let e = TcClass::new("no-such-dev0", None, "1:10")
        .sent_bytes("storj:main", Duration::from_secs(10))
        .await
        .expect_err("no device");
    let s = e.to_string();
    assert!(
        s.contains("storj:main") && s.contains("no-such-dev0"),
        "{s}"
    );
}
