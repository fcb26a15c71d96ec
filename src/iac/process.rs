//! Running one provisioner step: an argv (never a shell unless asked), a
//! timeout, stdout and stderr streamed line by line to a sink, and
//! Terraform's `-json` UI stream rendered to readable lines.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use super::error::IacError;

/// Which stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of a provisioner step's output, for the log pane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    /// The step, e.g. `terraform plan`.
    pub step: String,
    /// Where the line came from.
    pub stream: Stream,
    /// The text (a rendered message for Terraform's JSON stream).
    pub text: String,
    /// Whether the line reports an error or a warning.
    pub problem: bool,
}

/// Where output lines go.
pub type LineSink<'a> = &'a (dyn Fn(OutputLine) + Send + Sync);

/// What to do with stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdoutMode {
    /// Stream each line to the sink.
    Stream,
    /// Keep it (machine output such as `show -json`), stream nothing.
    Capture,
    /// Terraform's `-json` UI stream: render each message to the sink, keep the messages.
    TerraformJson,
}

/// The result of a finished step.
#[derive(Debug)]
pub struct StepOutput {
    /// Whether the process exited with status 0.
    pub success: bool,
    /// Exit status as text.
    pub status: String,
    /// Captured stdout ([`StdoutMode::Capture`] only).
    pub stdout: String,
    /// Terraform UI messages ([`StdoutMode::TerraformJson`] only).
    pub messages: Vec<Value>,
    /// The last lines of stderr.
    pub stderr_tail: Vec<String>,
}

const TAIL: usize = 20;

/// Environment for every Terraform-like process: no update checks, no prompts.
pub const QUIET_ENV: [(&str, &str); 3] = [
    ("CHECKPOINT_DISABLE", "1"),
    ("TF_IN_AUTOMATION", "1"),
    ("TF_INPUT", "0"),
];

impl StepOutput {
    /// Error diagnostics from the JSON stream, else the stderr tail.
    pub fn problem_text(&self) -> String {
        let diags: Vec<String> = self
            .messages
            .iter()
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("diagnostic"))
            .filter(|m| m.pointer("/diagnostic/severity").and_then(Value::as_str) == Some("error"))
            .map(render_message)
            .collect();
        if !diags.is_empty() {
            return diags.join("; ");
        }
        let tail: Vec<&str> = self
            .stderr_tail
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if tail.is_empty() {
            "no diagnostics were printed".into()
        } else {
            tail.join(" | ")
        }
    }
}

/// Render one Terraform UI message: its `@message`, with a diagnostic's detail and place.
pub fn render_message(m: &Value) -> String {
    let msg = m
        .get("@message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(d) = m.get("diagnostic") else {
        return msg;
    };
    let mut s = format!(
        "{}: {}",
        d.get("severity").and_then(Value::as_str).unwrap_or("error"),
        d.get("summary").and_then(Value::as_str).unwrap_or(&msg)
    );
    if let Some(file) = d.pointer("/range/filename").and_then(Value::as_str) {
        let line = d
            .pointer("/range/start/line")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        s.push_str(&format!(" ({file}:{line})"));
    }
    if let Some(detail) = d
        .get("detail")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        s.push_str(&format!(": {}", detail.replace('\n', " ")));
    }
    s
}

async fn pump<R: AsyncRead + Unpin>(
    r: R,
    step: &str,
    stream: Stream,
    mode: StdoutMode,
    sink: LineSink<'_>,
) -> std::io::Result<(String, Vec<Value>, Vec<String>)> {
    let mut lines = BufReader::new(r).lines();
    let (mut captured, mut messages, mut tail) = (String::new(), Vec::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let send = |text: String, problem: bool| {
            sink(OutputLine {
                step: step.to_string(),
                stream,
                text,
                problem,
            })
        };
        match (stream, mode) {
            (Stream::Stdout, StdoutMode::Capture) => {
                captured.push_str(&line);
                captured.push('\n');
            }
            (Stream::Stdout, StdoutMode::TerraformJson) => {
                match serde_json::from_str::<Value>(&line) {
                    // Never pass the raw line on: an `outputs` message holds sensitive values.
                    Ok(m) if m.is_object() => {
                        let level = m.get("@level").and_then(Value::as_str).unwrap_or("info");
                        send(render_message(&m), matches!(level, "error" | "warn"));
                        messages.push(m);
                    }
                    _ => send(line, false),
                }
            }
            _ => {
                if stream == Stream::Stderr {
                    tail.push(line.clone());
                    if tail.len() > TAIL {
                        tail.remove(0);
                    }
                }
                send(line, stream == Stream::Stderr);
            }
        }
    }
    Ok((captured, messages, tail))
}

/// One process to run.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    /// Name for messages, e.g. `terraform plan`.
    pub name: &'a str,
    /// Program and arguments.
    pub argv: &'a [String],
    /// Working directory.
    pub cwd: &'a Path,
    /// Extra environment variables.
    pub env: &'a [(String, String)],
    /// Killed after this long.
    pub timeout: Duration,
    /// What to do with stdout.
    pub mode: StdoutMode,
    /// How to install the program, for a missing-binary error.
    pub hint: &'a str,
}

/// Run a step, streaming to `sink`; a missing program becomes
/// [`IacError::BinaryMissing`] with the step's hint.
pub async fn run(s: &Step<'_>, sink: LineSink<'_>) -> Result<StepOutput, IacError> {
    let (step, cwd, mode) = (s.name, s.cwd, s.mode);
    let (program, args) = s
        .argv
        .split_first()
        .ok_or_else(|| IacError::Config(format!("{step}: the command is empty")))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in QUIET_ENV {
        cmd.env(k, v);
    }
    for (k, v) in s.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if !cwd.is_dir() => IacError::Config(format!(
            "{step}: working directory {} does not exist",
            cwd.display()
        )),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            IacError::BinaryMissing {
                binary: program.clone(),
                reason: e.to_string(),
                hint: s.hint.to_string(),
            }
        }
        _ => IacError::Io {
            step: step.to_string(),
            source: e,
        },
    })?;
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    let work = async {
        let (o, e) = tokio::join!(
            pump(out, step, Stream::Stdout, mode, sink),
            pump(err, step, Stream::Stderr, mode, sink)
        );
        let status = child.wait().await;
        (o, e, status)
    };
    let (o, e, status) =
        tokio::time::timeout(s.timeout, work)
            .await
            .map_err(|_| IacError::Timeout {
                step: step.to_string(),
                timeout_s: s.timeout.as_secs(),
            })?;
    let io = |source| IacError::Io {
        step: step.to_string(),
        source,
    };
    let (stdout, messages, _) = o.map_err(io)?;
    let (_, _, stderr_tail) = e.map_err(io)?;
    let status = status.map_err(io)?;
    Ok(StepOutput {
        success: status.success(),
        status: status.to_string(),
        stdout,
        messages,
        stderr_tail,
    })
}
