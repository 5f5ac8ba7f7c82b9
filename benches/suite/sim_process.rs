//! The simulator in another process: `ivrconf-sim` (the binary cargo built
//! with the suite) on a free loopback port, `--quiet`, keeping no traffic
//! record (`--record-limit 0`: it would only grow the simulator's memory).
//! Killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct SimProcess {
    child: Child,
    pub port: u16,
}

impl SimProcess {
    pub fn start(path: &str) -> Result<SimProcess, String> {
        let mut child = Command::new(path)
            .args(["--listen", "127.0.0.1:0", "--quiet", "--record-limit", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{path}: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|p| p.parse().ok());
        match port {
            Some(port) => Ok(SimProcess { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "{path} did not say where it listens (`{}`)",
                    line.trim()
                ))
            }
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
