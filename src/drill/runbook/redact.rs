//! Redaction of what a drill step printed, before it is kept anywhere:
//! the values of the secrets the drill resolved are replaced by `***`, and
//! so is anything shaped like a credential (`password=...`, `Bearer ...`,
//! `user:pass@` in URLs, AWS access key ids, private key blocks), since a
//! runbook step may print a credential Flightdeck never knew about.

use std::sync::OnceLock;

use regex::Regex;

use crate::secrets::Secret;

struct Patterns {
    assignment: Regex,
    bearer: Regex,
    url_password: Regex,
    aws_key: Regex,
    private_key: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            assignment: Regex::new(
                r#"(?i)\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?)[a-z0-9_.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;]+)"#,
            )
            .ok()?,
            bearer: Regex::new(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}").ok()?,
            url_password: Regex::new(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@").ok()?,
            aws_key: Regex::new(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b").ok()?,
            private_key: Regex::new(
                r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
            )
            .ok()?,
        })
    })
    .as_ref()
}

/// `text` with `secrets` and credential-shaped values replaced by `***`.
pub fn redact(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        out = s.scrub(&out);
    }
    let Some(p) = patterns() else {
        return out;
    };
    let out = p.private_key.replace_all(&out, "-----PRIVATE KEY ***-----");
    let out = p.assignment.replace_all(&out, "${1}${2}***");
    let out = p.bearer.replace_all(&out, "${1} ***");
    let out = p.url_password.replace_all(&out, "${1}:***@");
    p.aws_key.replace_all(&out, "${1}***").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden() {
        let text = "PGPASSWORD=hunter2 db_token: abc.def\nAuthorization: Bearer eyJhbGciOiJIUzI1\n\
                    postgres://app:s3cret@db:5432/x AKIAABCDEFGHIJKLMNOP\nstatus: active";
        let r = redact(
            text,
            &[Secret::new("active-but-secret"), Secret::new("hunter2")],
        );
        for leaked in [
            "hunter2",
            "abc.def",
            "eyJhbGciOiJIUzI1",
            "s3cret",
            "ABCDEFGHIJKLMNOP",
        ] {
            assert!(!r.contains(leaked), "{leaked} in {r}");
        }
        assert!(r.contains("PGPASSWORD=***"), "{r}");
        assert!(r.contains("postgres://app:***@db"), "{r}");
        assert!(r.contains("status: active"), "{r}");
    }

    #[test]
    fn known_secret_values_are_hidden_anywhere() {
        let r = redact("the value is q8Zk2 here", &[Secret::new("q8Zk2")]);
        assert_eq!(r, "the value is *** here");
    }

    #[test]
    fn private_keys_are_hidden() {
        let r = redact(
            "a\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAB3Nza\n-----END OPENSSH PRIVATE KEY-----\nb",
            &[],
        );
        assert!(!r.contains("AAAB3Nza"), "{r}");
        assert!(r.starts_with("a\n") && r.ends_with("\nb"), "{r}");
    }
}
