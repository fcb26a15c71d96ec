//! Unleash provider against a REAL unleash-server 8.2 with PostgreSQL.
//! Start it with `eval "$(scripts/start-unleash.sh)"`; these tests read
//! FLIGHTDECK_UNLEASH_URL and FLIGHTDECK_UNLEASH_TOKEN and fail without them.

use std::time::Instant;

use flightdeck::flags::{
    FlagError, FlagProvider, Secret, SecretRef, UnleashConfig, UnleashProvider,
};
use serde_json::json;

fn server() -> (String, String) {
    let url = std::env::var("FLIGHTDECK_UNLEASH_URL");
    let token = std::env::var("FLIGHTDECK_UNLEASH_TOKEN");
    match (url, token) {
        (Ok(u), Ok(t)) if !u.is_empty() && !t.is_empty() => (u, t),
        _ => panic!(
            "FLIGHTDECK_UNLEASH_URL / FLIGHTDECK_UNLEASH_TOKEN are not set: run `eval \"$(scripts/start-unleash.sh)\"` first (it starts PostgreSQL and unleash-server 8.2.0 on 127.0.0.1)"
        ),
    }
}

/// Create a fresh feature (unique name) with a flexibleRollout at `rollout`.
async fn create_feature(url: &str, token: &str, rollout: &str) -> String {
    let name = format!("checkout-v2-{}", uuid::Uuid::new_v4().simple());
    let c = reqwest::Client::new();
    let base = format!("{url}/api/admin/projects/default/features");
    let r = c
        .post(&base)
        .header("Authorization", token)
        .json(&json!({"name": name, "type": "release"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create feature: {}", r.status());
    let r = c
        .post(format!("{base}/{name}/environments/development/strategies"))
        .header("Authorization", token)
        .json(&json!({"name": "flexibleRollout", "constraints": [], "parameters": {"rollout": rollout, "stickiness": "default", "groupId": name}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "add strategy: {}", r.status());
    name
}

#[tokio::test]
async fn reads_sets_and_rolls_back() {
    let (url, token) = server();
    let flag = create_feature(&url, &token, "5").await;
    let p = UnleashProvider::new(&url, "default", "development", Secret::new(token.clone()));
    let s = p.read(&flag).await.unwrap();
    assert_eq!((s.enabled, s.rollout_percent), (false, Some(5.0)));
    let s = p.set_rollout(&flag, 25.0).await.unwrap();
    assert_eq!((s.enabled, s.rollout_percent), (true, Some(25.0)));
    // the server agrees, read independently
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{url}/api/admin/projects/default/features/{flag}/environments/development"
        ))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["enabled"], json!(true));
    assert_eq!(raw["strategies"][0]["parameters"]["rollout"], json!("25"));
    let s = p.rollback(&flag).await.unwrap();
    assert_eq!((s.enabled, s.rollout_percent), (false, Some(0.0)));
    assert!(matches!(
        p.set_rollout(&flag, 12.5).await,
        Err(FlagError::BadPercent { .. })
    ));
    assert!(matches!(
        p.read("no-such-flag-xyz").await,
        Err(FlagError::FlagNotFound { .. })
    ));
}

#[tokio::test]
async fn a_flag_without_strategy_gets_one() {
    let (url, token) = server();
    let name = format!("bare-{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .post(format!("{url}/api/admin/projects/default/features"))
        .header("Authorization", &token)
        .json(&json!({"name": name, "type": "release"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let p = UnleashProvider::new(&url, "default", "development", Secret::new(token));
    let s = p.set_rollout(&name, 10.0).await.unwrap();
    assert_eq!((s.enabled, s.rollout_percent), (true, Some(10.0)));
}

#[tokio::test]
async fn config_token_resolves_from_env_and_never_leaks() {
    let (url, token) = server();
    let cfg: UnleashConfig = toml::from_str(&format!(
        "url = \"{url}\"\ntoken = {{ env = \"FLIGHTDECK_UNLEASH_TOKEN\" }}"
    ))
    .unwrap();
    assert_eq!(cfg.token, SecretRef::env("FLIGHTDECK_UNLEASH_TOKEN"));
    let p = UnleashProvider::from_config(&cfg).await.unwrap();
    assert!(!format!("{p:?}").contains(&token));
    let flag = create_feature(&url, &token, "0").await;
    p.read(&flag).await.unwrap();
    // a wrong token: the error names the status, not the token
    let wrong = "*:*.wrong-secret-value";
    let bad = UnleashProvider::new(&url, "default", "development", Secret::new(wrong));
    let e = bad.read(&flag).await.unwrap_err();
    let shown = format!("{e} | {e:?} | {bad:?}");
    assert!(shown.contains("401") || shown.contains("403"), "{shown}");
    assert!(!shown.contains("wrong-secret-value"), "{shown}");
    let missing = UnleashConfig {
        token: SecretRef::env("FLIGHTDECK_TEST_UNSET_TOKEN_VAR"),
        ..cfg
    };
    let e = UnleashProvider::from_config(&missing)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("FLIGHTDECK_TEST_UNSET_TOKEN_VAR is not set"),
        "{e}"
    );
}

#[tokio::test]
async fn unleash_rollback_latency() {
    let (url, token) = server();
    let flag = create_feature(&url, &token, "25").await;
    let p = UnleashProvider::new(&url, "default", "development", Secret::new(token));
    let mut ms = Vec::new();
    for _ in 0..20 {
        p.set_rollout(&flag, 25.0).await.unwrap();
        let t = Instant::now();
        let s = p.rollback(&flag).await.unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(!s.enabled);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "unleash rollback (read, PATCH rollout 0, POST off, read back), 20 trials: median {:.1} ms, max {:.1} ms",
        (ms[9] + ms[10]) / 2.0,
        ms[19]
    );
}
