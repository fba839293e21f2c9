//! A real node stand-in for the tests: a child burning one core and holding known memory.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// What the child allocates (and touches, so it is resident).
pub const ALLOC_BYTES: u64 = 200 * 1024 * 1024;

/// What `write` puts on disk (and syncs, so the block layer sees it).
pub const WRITE_BYTES: u64 = 20 * 1024 * 1024;

/// The child: after `alloc` it holds `ALLOC_BYTES` and spins a thread; after `t` it prints
/// its own CPU time (CLOCK_PROCESS_CPUTIME_ID, not /proc), the reference the meter is judged by.
const SCRIPT: &str = r#"
import os, sys, threading, time
hold = None
WRITE_BYTES = 20 * 1024 * 1024
def spin():
    while True:
        pass
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "alloc":
        hold = b"\x01" * (200 * 1024 * 1024)
        threading.Thread(target=spin, daemon=True).start()
        print("ready", flush=True)
    elif cmd.startswith("write "):
        with open(cmd[6:], "wb") as f:
            f.write(b"\x02" * WRITE_BYTES)
            f.flush()
            os.fsync(f.fileno())
        print("written", flush=True)
    elif cmd == "t":
        print(time.process_time_ns(), flush=True)
"#;

pub struct Burner {
    pub child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Burner {
    /// Starts the child in its own session at nice -20 (the tests run as root) so it gets a
    /// whole core even when the machine is busy compiling: with scheduler autogroups, nice only
    /// counts inside a session, so the child's new session is niced through
    /// `/proc/<pid>/autogroup` too.
    pub fn start() -> Burner {
        let mut child = Command::new("setsid")
            .args(["nice", "-n", "-20", "python3", "-u", "-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut b = Burner {
            child,
            stdin,
            stdout,
        };
        // Once python answers, `setsid` has run and the autogroup file is the child's own.
        // Best effort: without autogroups the file is absent and plain nice is enough.
        b.cpu_ns();
        let _ = std::fs::write(format!("/proc/{}/autogroup", b.pid()), "-20");
        b
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn ask(&mut self, cmd: &str) -> String {
        writeln!(self.stdin, "{cmd}").expect("write to child");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from child");
        line.trim().to_owned()
    }

    /// Allocates and starts spinning; returns when the memory is held.
    pub fn go(&mut self) {
        assert_eq!(self.ask("alloc"), "ready");
    }

    /// Writes `WRITE_BYTES` to `path` and syncs them.
    pub fn write(&mut self, path: &std::path::Path) {
        assert_eq!(self.ask(&format!("write {}", path.display())), "written");
    }

    /// The child's own CPU time in ns and when it was asked.
    pub fn cpu_ns(&mut self) -> (u64, Instant) {
        let at = Instant::now();
        let v = self.ask("t").parse().expect("a number");
        (v, at)
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's own CPU rate between two `cpu_ns` answers, in millicores.
pub fn reference_millicores(a: (u64, Instant), b: (u64, Instant)) -> f64 {
    let wall = b.1.duration_since(a.1).as_secs_f64();
    (b.0.saturating_sub(a.0)) as f64 / wall / 1e6
}

/// Checks the meter against the child's own clock, and against one core when the child got
/// one: on a machine too busy to give it a core, the second check would test the machine.
pub fn check_one_core(what: &str, measured: f64, reference: f64) {
    eprintln!("{what}: measured {measured:.0} millicores, child's own clock {reference:.0}");
    assert!(
        near(measured, reference, 0.3),
        "{what}: {measured} vs reference {reference}"
    );
    if reference >= 700.0 {
        assert!(
            near(measured, 1000.0, 0.3),
            "{what}: {measured} millicores for one busy thread"
        );
    } else {
        eprintln!("{what}: the child got only {reference:.0} millicores of this busy machine; the 1000 ±30 % check is skipped");
    }
}

/// Whether `measured` is within `frac` of `expected`.
pub fn near(measured: f64, expected: f64, frac: f64) -> bool {
    (measured - expected).abs() <= expected * frac
}
