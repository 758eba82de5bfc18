//! A real SMTP server for the e-mail tests: aiosmtpd (pinned in
//! `target/test-venv` by `scripts/setup --test`) on a free loopback port,
//! keeping every message it gets in a maildir that [`Sink::messages`] reads
//! back decoded (by Python's own `email` package). Stopped when dropped.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Sink {
    pub url: String,
    child: Child,
    dir: tempfile::TempDir,
}

/// One message as it arrived: envelope recipient, decoded subject and body.
#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub from: String,
    pub body: String,
}

fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup --test (it installs aiosmtpd)",
        python.display()
    );
    python
}

impl Sink {
    pub async fn start() -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("maildir");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        // Owned at once: stopped by Drop however this ends.
        let mut sink = Sink {
            url: format!("smtp://127.0.0.1:{port}"),
            child,
            dir,
        };
        // Bounded: 100 tries, 10 s.
        for _ in 0..100 {
            // Another listener took the port first: aiosmtpd exits.
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!("aiosmtpd on 127.0.0.1:{port} exited: {status}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on 127.0.0.1:{port} within 10 s");
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        const READ: &str = r#"
import json, mailbox, sys
from email import policy
box = mailbox.Maildir(sys.argv[1], factory=None, create=True)
out = []
for key in box.keys():
    raw = box.get_bytes(key)
    import email
    m = email.message_from_bytes(raw, policy=policy.default)
    out.append({"to": m["X-RcptTo"], "from": str(m["From"]), "subject": str(m["Subject"]),
                "body": m.get_body(("plain",)).get_content(), "date": m["Date"], "key": key})
out.sort(key=lambda r: r["key"])
print(json.dumps(out))
"#;
        let out = Command::new(python())
            .args(["-c", READ])
            .arg(self.dir.path().join("mail"))
            .output()
            .expect("python reads the maildir");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
