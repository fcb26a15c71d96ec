//! Asking a service which version (or colour, or variant) answers: a few
//! requests in a row, each answer read from a header or a JSON field, and
//! a poll until every answer is the one wanted.

use std::time::{Duration, Instant};

use crate::drill::step::json_path;

/// Where the answer names what served it.
#[derive(Clone, Debug)]
pub enum Mark {
    /// A response header.
    Header(String),
    /// A dotted JSON path in the body.
    Field(String),
}

/// One answer: what served it, or `None` when the request failed.
pub async fn ask(client: &reqwest::Client, url: &str, mark: &Mark, key: usize) -> Option<String> {
    let r = client
        .get(url)
        .header("x-user-id", format!("drill-{key}"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    match mark {
        Mark::Header(h) => r
            .headers()
            .get(h.as_str())?
            .to_str()
            .ok()
            .map(str::to_string),
        Mark::Field(f) => {
            let v: serde_json::Value = r.json().await.ok()?;
            json_path(&v, f).map(crate::drill::tolerance::text)
        }
    }
}

/// What a poll saw until every answer was the one wanted.
#[derive(Clone, Debug, Default)]
pub struct Converged {
    /// When every answer first showed the wanted value.
    pub at: Option<Instant>,
    /// The first moment any answer showed it.
    pub first_seen: Option<Instant>,
    /// The last moment any other value answered (successfully).
    pub last_other: Option<Instant>,
    /// Answers seen, in order (bounded), for the step's output.
    pub seen: Vec<String>,
}

/// Ask every URL `samples` times per round, every `every`, until all
/// answers show `want` or `deadline` passes.
pub async fn until_all(
    client: &reqwest::Client,
    urls: &[String],
    mark: &Mark,
    want: &str,
    samples: usize,
    every: Duration,
    deadline: Instant,
) -> Converged {
    let mut c = Converged::default();
    let mut key = 0usize;
    loop {
        let mut all = true;
        for u in urls {
            for _ in 0..samples.max(1) {
                key += 1;
                let a = ask(client, u, mark, key).await;
                let now = Instant::now();
                match a.as_deref() {
                    Some(v) if v == want => {
                        c.first_seen.get_or_insert(now);
                    }
                    Some(_) => {
                        all = false;
                        c.last_other = Some(now);
                    }
                    None => all = false,
                }
                if c.seen.len() < 60 {
                    c.seen.push(a.unwrap_or_else(|| "failed".into()));
                }
            }
        }
        if all {
            c.at = Some(Instant::now());
            return c;
        }
        if Instant::now() + every >= deadline {
            return c;
        }
        tokio::time::sleep(every).await;
    }
}
