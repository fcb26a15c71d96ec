//! Variable files (`.tfvars` with literal values, `.tfvars.json`) and their
//! comparison between pre-production and production.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Number, Value};

use super::config::IntendedDifference;
use super::error::{IacError, parse_json};
use super::values::{SENSITIVE, render};
pub use crate::core::iac::parity::{VarDifference, VarParityReport};

/// Key fragments whose values are treated as secrets and never shown.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "token",
    "private_key",
    "api_key",
    "credential",
];

/// Whether a variable name looks like it holds a secret.
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| k.contains(s))
}

/// Read a var file: JSON when the name ends in `.json`, else literal HCL.
pub fn read(path: &Path) -> Result<BTreeMap<String, Value>, IacError> {
    let text = std::fs::read_to_string(path).map_err(|source| IacError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        match parse_json(path, &text)? {
            Value::Object(m) => Ok(m.into_iter().collect()),
            _ => Err(IacError::Shape {
                file: path.to_path_buf(),
                reason: "a .tfvars.json file must hold one JSON object".into(),
            }),
        }
    } else {
        parse_hcl(path, &text)
    }
}

/// Parse `key = value` lines whose values are literals: strings (with
/// heredocs), numbers, booleans, null, lists and objects.
pub fn parse_hcl(path: &Path, text: &str) -> Result<BTreeMap<String, Value>, IacError> {
    let mut p = Parser {
        s: text.chars().collect(),
        i: 0,
        file: path,
    };
    let mut out = BTreeMap::new();
    loop {
        p.skip(true);
        if p.i >= p.s.len() {
            return Ok(out);
        }
        let key = p.key()?;
        p.skip(false);
        if p.peek() != Some('=') {
            return Err(p.err(format!("expected `=` after `{key}`")));
        }
        p.i += 1;
        p.skip(false);
        let v = p.value()?;
        out.insert(key, v);
    }
}

struct Parser<'a> {
    s: Vec<char>,
    i: usize,
    file: &'a Path,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn line(&self) -> usize {
        1 + self.s[..self.i.min(self.s.len())]
            .iter()
            .filter(|&&c| c == '\n')
            .count()
    }

    fn err(&self, message: String) -> IacError {
        IacError::VarFile {
            file: self.file.to_path_buf(),
            line: self.line(),
            message,
        }
    }

    /// Skip blanks and comments; newlines and commas too when `all`.
    fn skip(&mut self, all: bool) {
        while let Some(c) = self.peek() {
            let next = self.s.get(self.i + 1).copied();
            if c == '#' || (c == '/' && next == Some('/')) {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
            } else if c == '/' && next == Some('*') {
                self.i += 2;
                while self.i < self.s.len()
                    && !(self.s[self.i] == '*' && self.s.get(self.i + 1) == Some(&'/'))
                {
                    self.i += 1;
                }
                self.i += 2;
            } else if c == ' ' || c == '\t' || c == '\r' || (all && (c == '\n' || c == ',')) {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn key(&mut self) -> Result<String, IacError> {
        if self.peek() == Some('"') {
            return self.string();
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err(format!(
                "expected a variable name, found `{}`",
                self.peek()
                    .map(String::from)
                    .unwrap_or_else(|| "end of file".into())
            )));
        }
        Ok(self.s[start..self.i].iter().collect())
    }

    fn string(&mut self) -> Result<String, IacError> {
        self.i += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self
                        .peek()
                        .ok_or_else(|| self.err("unterminated string".into()))?;
                    self.i += 1;
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                '\n' => return Err(self.err("unterminated string".into())),
                c => out.push(c),
            }
        }
        Err(self.err("unterminated string".into()))
    }

    fn heredoc(&mut self) -> Result<String, IacError> {
        self.i += 2;
        let indent = self.peek() == Some('-');
        if indent {
            self.i += 1;
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c != '\n') {
            self.i += 1;
        }
        let marker: String = self.s[start..self.i]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        self.i += 1;
        let mut lines = Vec::new();
        loop {
            if self.i >= self.s.len() {
                return Err(self.err(format!("heredoc `{marker}` is never closed")));
            }
            let ls = self.i;
            while self.peek().is_some_and(|c| c != '\n') {
                self.i += 1;
            }
            let line: String = self.s[ls..self.i].iter().collect();
            self.i += 1;
            if line.trim() == marker {
                break;
            }
            lines.push(line);
        }
        if indent {
            let strip = lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            for l in &mut lines {
                *l = l.chars().skip(strip).collect();
            }
        }
        Ok(lines.iter().map(|l| format!("{l}\n")).collect())
    }

    fn value(&mut self) -> Result<Value, IacError> {
        match self.peek() {
            Some('"') => Ok(Value::String(self.string()?)),
            Some('<') if self.s.get(self.i + 1) == Some(&'<') => Ok(Value::String(self.heredoc()?)),
            Some('[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip(true);
                    match self.peek() {
                        Some(']') => {
                            self.i += 1;
                            return Ok(Value::Array(items));
                        }
                        None => return Err(self.err("list is never closed with `]`".into())),
                        _ => items.push(self.value()?),
                    }
                }
            }
            Some('{') => {
                self.i += 1;
                let mut map = Map::new();
                loop {
                    self.skip(true);
                    match self.peek() {
                        Some('}') => {
                            self.i += 1;
                            return Ok(Value::Object(map));
                        }
                        None => return Err(self.err("object is never closed with `}`".into())),
                        _ => {
                            let k = self.key()?;
                            self.skip(false);
                            if !matches!(self.peek(), Some('=') | Some(':')) {
                                return Err(self.err(format!("expected `=` after `{k}`")));
                            }
                            self.i += 1;
                            self.skip(false);
                            map.insert(k, self.value()?);
                        }
                    }
                }
            }
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
                {
                    self.i += 1;
                }
                let word: String = self.s[start..self.i].iter().collect();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    w => w
                        .parse::<i64>()
                        .ok()
                        .map(Number::from)
                        .or_else(|| w.parse::<f64>().ok().and_then(Number::from_f64))
                        .map(Value::Number)
                        .ok_or_else(|| {
                            self.err(format!(
                                "`{w}` is not a literal; var files compared by flightdeck may hold only strings, numbers, booleans, lists and objects"
                            ))
                        }),
                }
            }
        }
    }
}

fn shown(key: &str, v: Option<&Value>) -> Option<String> {
    v.map(|v| {
        if looks_secret(key) {
            SENSITIVE.to_string()
        } else {
            render(v)
        }
    })
}

/// Compare two var files. An intended difference applies to a variable when
/// its `address` pattern matches `var.NAME`.
pub fn compare(
    preprod: &Path,
    prod: &Path,
    intended: &[IntendedDifference],
) -> Result<VarParityReport, IacError> {
    let a = read(preprod)?;
    let b = read(prod)?;
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut matching = 0;
    let mut differences = Vec::new();
    for k in keys {
        let (x, y) = (a.get(k), b.get(k));
        if x == y {
            matching += 1;
            continue;
        }
        let decl = intended
            .iter()
            .find(|d| super::pattern::matches(&d.address, &format!("var.{k}")));
        differences.push(VarDifference {
            key: k.clone(),
            preprod: shown(k, x),
            prod: shown(k, y),
            intended: decl.is_some(),
            reason: decl.and_then(|d| d.reason.clone()),
        });
    }
    Ok(VarParityReport {
        preprod_file: preprod.display().to_string(),
        prod_file: prod.display().to_string(),
        matching,
        differences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hcl_literals_lists_objects_heredocs_and_comments() {
        let text = r#"
# comment
region = "eu-west-1" // trailing
replicas = 3
ratio = 0.5
enabled = true
zones = ["a", "b",
  "c"]
tags = {
  team = "shop"
  "cost-center" = 42
}
motd = <<-EOT
  hello
  world
  EOT
"#;
        let v = parse_hcl(Path::new("x.tfvars"), text).unwrap();
        assert_eq!(v["region"], json!("eu-west-1"));
        assert_eq!(v["replicas"], json!(3));
        assert_eq!(v["ratio"], json!(0.5));
        assert_eq!(v["zones"], json!(["a", "b", "c"]));
        assert_eq!(v["tags"], json!({"team": "shop", "cost-center": 42}));
        assert_eq!(v["motd"], json!("hello\nworld\n"));
    }

    #[test]
    fn expressions_are_refused_with_line() {
        let e = parse_hcl(Path::new("x.tfvars"), "a = 1\nb = var.c\n").unwrap_err();
        assert!(e.to_string().starts_with("x.tfvars:2:"), "{e}");
    }
}
