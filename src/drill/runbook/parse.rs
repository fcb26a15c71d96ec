//! The Markdown runbook format: fenced shell blocks whose info string carries
//! a Runme-style annotation with `step` are steps; every other block is
//! documentation and never runs.
//!
//! ````text
//! ```sh {step="restart" expect="active" timeout="30s"}
//! systemctl is-active checkout
//! ```
//! ````
//!
//! Keys: `step` (the name, required to make a block a step, unique),
//! `expect` (the output must contain this text; written `/.../` it is a
//! regular expression instead, where `^` and `$` match at line ends), `exit` (the exit code expected, default 0),
//! `timeout` (default 30s, e.g. `500ms`, `2m`). Values are quoted (`"..."`,
//! with `\"` and `\\` escapes) or bare words. Runme's own keys (`name`,
//! `interactive`, `background`, ...) are accepted and ignored, so a runbook
//! written for Runme keeps working; an unknown key, a bad value or an
//! unclosed annotation is an error with its line number.

use std::time::Duration;

use regex::Regex;

/// Default timeout of a step.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runme's annotation keys: accepted, not used.
const RUNME_KEYS: [&str; 8] = [
    "name",
    "interactive",
    "background",
    "closeTerminalOnSuccess",
    "cwd",
    "excludeFromRunAll",
    "promptEnv",
    "terminalRows",
];

/// Info-string languages that run as shell steps.
const SHELLS: [&str; 4] = ["sh", "shell", "bash", "console"];

/// How a step's output is checked.
#[derive(Clone, Debug)]
pub enum Expect {
    /// The output contains this text.
    Contains(String),
    /// The output matches this regular expression.
    Matches(Regex),
}

impl Expect {
    /// Whether `output` satisfies the expectation.
    pub fn holds(&self, output: &str) -> bool {
        match self {
            Expect::Contains(s) => output.contains(s.as_str()),
            Expect::Matches(re) => re.is_match(output),
        }
    }

    /// As written in the runbook.
    pub fn describe(&self) -> String {
        match self {
            Expect::Contains(s) => format!("output containing \"{s}\""),
            Expect::Matches(re) => format!(
                "output matching /{}/",
                re.as_str().trim_start_matches("(?m)")
            ),
        }
    }
}

/// One marked block.
#[derive(Clone, Debug)]
pub struct Step {
    /// `step="..."`.
    pub name: String,
    /// Line of the opening fence (1-based).
    pub line: usize,
    /// The shell that runs it: `sh`, or `bash` for bash blocks.
    pub shell: &'static str,
    /// The block's text.
    pub script: String,
    /// The output check.
    pub expect: Option<Expect>,
    /// Exit code expected.
    pub exit: i32,
    /// Killed (with its process group) after this.
    pub timeout: Duration,
}

/// A runbook that cannot be read as one: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// Line (1-based).
    pub line: usize,
    /// What is wrong, with the fix.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// The steps of a runbook, in order. Unmarked blocks are skipped.
pub fn parse_runbook(text: &str) -> Result<Vec<Step>, ParseError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some((fence, info)) = opening_fence(line) else {
            continue;
        };
        let start = i + 1;
        let mut body = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            let t = l.trim_start();
            if t.starts_with(fence.as_str())
                && t.trim_end().chars().all(|c| c == fence_char(&fence))
            {
                closed = true;
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        let step = block_step(start, info, body)?;
        if !closed {
            // An unclosed documentation block ends the document (as in
            // CommonMark); an unclosed step is a mistake.
            if let Some(s) = &step {
                return Err(err(
                    start,
                    format!(
                        "step \"{}\": the code block is never closed (add {fence})",
                        s.name
                    ),
                ));
            }
        }
        if let Some(s) = step {
            if let Some(other) = steps.iter().find(|o| o.name == s.name) {
                return Err(err(
                    start,
                    format!(
                        "step \"{}\" is already defined on line {}; give each step its own name",
                        s.name, other.line
                    ),
                ));
            }
            steps.push(s);
        }
    }
    Ok(steps)
}

fn fence_char(fence: &str) -> char {
    fence.chars().next().unwrap_or('`')
}

/// ```` ``` ```` or `~~~` (three or more, up to three spaces of indent) and
/// the info string after it.
fn opening_fence(line: &str) -> Option<(String, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &line[indent..];
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|x| *x == c).count();
    if n < 3 {
        return None;
    }
    let info = &t[n..];
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((t[..n].to_string(), info.trim()))
}

/// The step a block makes, or `None` for documentation.
fn block_step(line: usize, info: &str, script: String) -> Result<Option<Step>, ParseError> {
    let (lang, annotation) = match info.find('{') {
        Some(i) => (info[..i].trim(), Some(&info[i..])),
        None => (info.split_whitespace().next().unwrap_or(""), None),
    };
    let Some(annotation) = annotation else {
        return Ok(None);
    };
    let attrs = parse_attributes(line, annotation)?;
    let Some(name) = attrs.iter().find(|(k, _)| k == "step").map(|(_, v)| v) else {
        return Ok(None);
    };
    if name.trim().is_empty() {
        return Err(err(line, "step=\"\" is empty: name the step"));
    }
    let shell = match lang {
        "bash" => "bash",
        l if SHELLS.contains(&l) => "sh",
        "" => {
            return Err(err(
                line,
                format!(
                    "step \"{name}\": the block has no language; write ```sh {{step=\"{name}\" ...}}"
                ),
            ));
        }
        other => {
            return Err(err(
                line,
                format!(
                    "step \"{name}\": only shell blocks run (sh, bash, shell), not \"{other}\""
                ),
            ));
        }
    };
    let mut step = Step {
        name: name.clone(),
        line,
        shell,
        script,
        expect: None,
        exit: 0,
        timeout: DEFAULT_STEP_TIMEOUT,
    };
    for (k, v) in &attrs {
        match k.as_str() {
            "step" => {}
            "expect" => step.expect = Some(parse_expect(line, name, v)?),
            "exit" => {
                step.exit = v.trim().parse().map_err(|_| {
                    err(line, format!("step \"{name}\": exit=\"{v}\" is not an exit code (write exit=\"0\")"))
                })?
            }
            "timeout" => {
                step.timeout = crate::config::parse_duration(v)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        err(line, format!("step \"{name}\": timeout=\"{v}\" is not a duration (write timeout=\"30s\")"))
                    })?
            }
            k if RUNME_KEYS.contains(&k) => {}
            other => {
                return Err(err(
                    line,
                    format!("step \"{name}\": unknown key \"{other}\" (known: step, expect, exit, timeout)"),
                ));
            }
        }
    }
    Ok(Some(step))
}

fn parse_expect(line: usize, name: &str, v: &str) -> Result<Expect, ParseError> {
    if v.len() >= 2 && v.starts_with('/') && v.ends_with('/') {
        let pattern = &v[1..v.len() - 1];
        // Line by line, as people read output: `^` and `$` are line ends.
        Regex::new(&format!("(?m){pattern}"))
            .map(Expect::Matches)
            .map_err(|e| {
                err(
                    line,
                    format!(
                        "step \"{name}\": expect=\"{v}\" is not a valid regular expression: {e}"
                    ),
                )
            })
    } else {
        Ok(Expect::Contains(v.to_string()))
    }
}

/// `{key="value" key2=word}` into pairs. JSON-style `"key": "value"` and
/// commas are accepted too, as Runme writes both.
fn parse_attributes(line: usize, text: &str) -> Result<Vec<(String, String)>, ParseError> {
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.trim_end().strip_suffix('}'))
        .ok_or_else(|| err(line, "annotation not closed: end it with }"))?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key = if chars.peek() == Some(&'"') {
            chars.next();
            quoted(line, &mut chars)?
        } else {
            let mut k = String::new();
            while let Some(c) = chars.peek().copied() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    k.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            k
        };
        if key.is_empty() {
            let c = chars.peek().copied().unwrap_or(' ');
            return Err(err(
                line,
                format!("annotation: expected a key, found '{c}' (write key=\"value\")"),
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            Some('=') | Some(':') => {}
            _ => {
                return Err(err(
                    line,
                    format!("annotation: key \"{key}\" has no value (write {key}=\"...\")"),
                ));
            }
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            quoted(line, &mut chars)?
        } else {
            let mut v = String::new();
            while let Some(c) = chars.peek().copied() {
                if c.is_whitespace() || c == ',' {
                    break;
                }
                if c == '"' {
                    return Err(err(
                        line,
                        format!("annotation: stray quote in the value of \"{key}\""),
                    ));
                }
                v.push(c);
                chars.next();
            }
            if v.is_empty() {
                return Err(err(
                    line,
                    format!("annotation: key \"{key}\" has no value (write {key}=\"...\")"),
                ));
            }
            v
        };
        out.push((key, value));
    }
    Ok(out)
}

fn quoted(
    line: usize,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<String, ParseError> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => {
                return Err(err(
                    line,
                    "annotation: unterminated quote (close it with \")",
                ));
            }
            Some('"') => return Ok(s),
            Some('\\') => match chars.next() {
                Some(c) => s.push(c),
                None => {
                    return Err(err(
                        line,
                        "annotation: unterminated quote (close it with \")",
                    ));
                }
            },
            Some(c) => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = r#"# Checkout is erroring

Look at the dashboard first:

```sh
curl http://prod.example/never-runs
```

```sh {step="health" expect="ok" timeout="5s"}
echo ok
```

```bash {name=doc-only interactive=false}
rm -rf /never
```

~~~sh {"step": "version", "expect": "/^v\\d+/", "exit": "3"}
echo v2; exit 3
~~~

```python
print("documentation")
```
"#;

    #[test]
    fn only_marked_blocks_are_steps() {
        let steps = parse_runbook(RUNBOOK).expect("parses");
        let names: Vec<_> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["health", "version"]);
        assert_eq!(steps[0].line, 9);
        assert_eq!(steps[0].timeout, Duration::from_secs(5));
        assert_eq!(steps[0].script, "echo ok\n");
        assert!(matches!(steps[0].expect, Some(Expect::Contains(ref s)) if s == "ok"));
        assert_eq!(steps[1].exit, 3);
        assert_eq!(steps[1].timeout, DEFAULT_STEP_TIMEOUT);
        let Some(Expect::Matches(re)) = &steps[1].expect else {
            panic!("a regex expect");
        };
        assert!(re.is_match("started\nv2\n"));
        assert!(!re.is_match("version 2"));
    }

    #[test]
    fn malformed_annotations_name_their_line() {
        let cases = [
            (
                "```sh {step=\"a\" expect=\"x}\n```\n",
                1,
                "unterminated quote",
            ),
            (
                "text\n\n```sh {step=\"a\" timeout=\"soon\"}\n```\n",
                3,
                "not a duration",
            ),
            (
                "```sh {step=\"a\" colour=\"red\"}\n```\n",
                1,
                "unknown key \"colour\"",
            ),
            ("x\n```sh {step=\"a\"\n```\n", 2, "not closed"),
            (
                "```sh {step=\"a\" expect=\"/(/\"}\n```\n",
                1,
                "regular expression",
            ),
            ("```python {step=\"a\"}\n```\n", 1, "only shell blocks"),
            ("```sh {step=\"a\" timeout}\n```\n", 1, "has no value"),
            ("```sh {step=\"a\"}\necho\n", 1, "never closed"),
            (
                "```sh {step=\"a\"}\n```\n\n```sh {step=\"a\"}\n```\n",
                4,
                "already defined on line 1",
            ),
        ];
        for (text, line, what) in cases {
            let e = parse_runbook(text).expect_err(text);
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn expect_checks_substring_or_regex() {
        assert!(Expect::Contains("active".into()).holds("state: active\n"));
        assert!(!Expect::Contains("active".into()).holds("state: failed"));
        let re = Expect::Matches(Regex::new("^active$").expect("regex"));
        assert!(!re.holds("inactive"));
    }
}
