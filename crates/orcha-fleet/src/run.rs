//! Running a command with a deadline and a cap on what it prints, for `systemctl` and `systemd-creds`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished command said.
#[derive(Debug, Clone)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Output kept per stream; `systemctl show` and `systemd-creds` print a few lines.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Runs `program args…`, writing `stdin` to it (secrets go there, never into argv), and kills it
/// after `timeout`.
pub fn run(
    program: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<Output> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data)?;
        // Dropping the pipe closes it, so the program sees the end of its input.
    }
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    // Readers on threads: a child filling one pipe must not block while we wait on the other.
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_string(&mut s);
            }
            s
        })
    };
    let out_t = read(out.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err_t = read(err.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("`{program}` did not finish within {} s", timeout.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        success: status.success(),
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    })
}
