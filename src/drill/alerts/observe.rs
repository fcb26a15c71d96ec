//! What the live alerting drill looks at and does while it waits: the
//! alert's state at Prometheus, whether the target was scraped, the fault
//! switch, a low constant background load, and bounded polling.

use std::time::{Duration, Instant};

/// How often the drill looks at Prometheus and the receiver.
pub const POLL: Duration = Duration::from_millis(200);
/// Background requests per second while the drill runs.
const TRAFFIC_PER_S: u64 = 20;

/// Whether a URL's host is 127.0.0.1, [::1] or localhost.
pub fn is_loopback_url(u: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(u) else {
        return false;
    };
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

pub async fn wait_until<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

pub async fn wait_for<T>(within: Duration, mut get: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = get() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether Prometheus has scraped the target successfully once.
pub async fn scraped(client: &reqwest::Client, prom: &str) -> bool {
    let url = format!("{prom}/api/v1/query");
    let Ok(r) = client
        .get(url)
        .query(&[("query", "up{job=\"flightdeck-drill\"}")])
        .send()
        .await
    else {
        return false;
    };
    let Ok(v) = r.json::<serde_json::Value>().await else {
        return false;
    };
    v["data"]["result"][0]["value"][1].as_str() == Some("1")
}

/// `pending`, `firing`, or `None` when the alert is not active.
pub async fn alert_state(client: &reqwest::Client, prom: &str, alert: &str) -> Option<String> {
    let r = client
        .get(format!("{prom}/api/v1/alerts"))
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    let alerts = v["data"]["alerts"].as_array()?;
    let states: Vec<&str> = alerts
        .iter()
        .filter(|a| a["labels"]["alertname"].as_str() == Some(alert))
        .filter_map(|a| a["state"].as_str())
        .collect();
    if states.contains(&"firing") {
        Some("firing".into())
    } else {
        states.first().map(|s| s.to_string())
    }
}

/// POST (inject) or DELETE (clear) the fault URL.
pub async fn fault(client: &reqwest::Client, url: &str, on: bool) -> Result<(), String> {
    let req = if on {
        client.post(url)
    } else {
        client.delete(url)
    };
    match req.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!(
            "{} {url} answered {}",
            if on { "POST" } else { "DELETE" },
            r.status()
        )),
        Err(e) => Err(format!("{url}: {e}")),
    }
}

/// A low constant GET rate to the target; stops when dropped.
pub struct Traffic(tokio::task::JoinHandle<()>);

impl Traffic {
    pub fn start(client: reqwest::Client, url: String) -> Traffic {
        Traffic(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / TRAFFIC_PER_S));
            // Bounded even if never dropped: at most 10 minutes.
            for _ in 0..(TRAFFIC_PER_S * 600) {
                tick.tick().await;
                let _ = client.get(&url).send().await;
            }
        }))
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_pass() {
        for ok in [
            "http://127.0.0.1:9090/metrics",
            "http://[::1]:80/",
            "http://localhost:8080/x",
            "http://127.1.2.3/",
        ] {
            assert!(is_loopback_url(ok), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/",
            "http://example.com/",
            "http://127.0.0.1.nip.io/",
            "not a url",
        ] {
            assert!(!is_loopback_url(bad), "{bad}");
        }
    }
}
