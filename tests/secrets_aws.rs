//! AWS Secrets Manager references against a REAL moto_server on 127.0.0.1,
//! through the real binary (`flightdeck secrets check`, `flightdeck flags
//! get --token-ref`) with the AWS environment set on the child only.
//!
//! FLIGHTDECK_MOTO must name moto_server (`.ci/run` installs it into
//! ~/.cache/flightdeck/motovenv). The Unleash end-to-end also needs
//! FLIGHTDECK_UNLEASH_URL / FLIGHTDECK_UNLEASH_TOKEN (scripts/start-unleash.sh).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_secretsmanager::primitives::Blob;
use serde_json::{Value, json};

/// A moto_server child on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    async fn start() -> Moto {
        Moto::start_with(&[]).await
    }

    /// Start with extra environment for moto itself.
    async fn start_with(env: &[(&str, &str)]) -> Moto {
        let bin = std::env::var("FLIGHTDECK_MOTO").unwrap_or_else(|_| {
            panic!(
                "FLIGHTDECK_MOTO is not set: point it at moto_server, e.g. `python3 -m venv ~/.cache/flightdeck/motovenv && ~/.cache/flightdeck/motovenv/bin/pip install \"moto[server]\"` then `export FLIGHTDECK_MOTO=~/.cache/flightdeck/motovenv/bin/moto_server` (.ci/run does both)"
            )
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = http.get(format!("{}/moto-api/", moto.url)).send().await;
            if r.is_ok_and(|r| r.status() == 200) {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server ({bin}) not ready on {} within 30 s",
                moto.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A client for setting up secrets (explicit test credentials: the
    /// process environment is left alone).
    fn client(&self) -> aws_sdk_secretsmanager::Client {
        let conf = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_secretsmanager::Client::from_conf(conf)
    }

    async fn put(&self, id: &str, value: &str) {
        self.client()
            .create_secret()
            .name(id)
            .secret_string(value)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create secret {id}: {e:?}"));
    }
}

/// The binary with the AWS environment of a test account at `endpoint` (the
/// developer's own AWS profile and variables are kept out).
fn flightdeck(endpoint: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c.envs([
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_CONFIG_FILE", "/nonexistent/flightdeck-test/config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/flightdeck-test/credentials",
        ),
    ]);
    c
}

/// A valid config whose Unleash token is `token` (a TOML inline table).
fn config(dir: &Path, name: &str, token: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        r#"[canary]
flag = "checkout-v2"
provider = {{ kind = "unleash", url = "http://127.0.0.1:4242", token = {token} }}

[[stages]]
id = "env"
kind = "environment"

[[stages]]
id = "gate"
kind = "gate"
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run flightdeck");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

const JSON_VALUE: &str = "s3cr3t-json-9f2a";
const PLAIN_VALUE: &str = "s3cr3t-plain-41c7";
const OTHER_VALUE: &str = "s3cr3t-other-0b3e";

fn assert_no_values(r: &Run) {
    for v in [JSON_VALUE, PLAIN_VALUE, OTHER_VALUE] {
        assert!(
            !r.stdout.contains(v) && !r.stderr.contains(v),
            "secret value {v} leaked:\nstdout: {}\nstderr: {}",
            r.stdout,
            r.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_check_resolves_and_explains_without_values() {
    let moto = Moto::start().await;
    let body = json!({"token": JSON_VALUE, "user": OTHER_VALUE, "port": 5432}).to_string();
    moto.put("preprod/unleash", &body).await;
    moto.put("preprod/plain", PLAIN_VALUE).await;
    moto.put("preprod/not-json", PLAIN_VALUE).await;
    moto.client()
        .create_secret()
        .name("preprod/binary")
        .secret_binary(Blob::new(OTHER_VALUE.as_bytes()))
        .send()
        .await
        .expect("create binary secret");
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, token: &str, json: bool| {
        let path = config(dir.path(), name, token);
        let mut c = flightdeck(&moto.url);
        c.args(["secrets", "check", "-c"]).arg(&path);
        if json {
            c.args(["--output", "json"]);
        }
        let r = run(c);
        assert_no_values(&r);
        r
    };

    // A JSON key resolves, in text and in JSON.
    let token = r#"{ aws_secret = "preprod/unleash", key = "token" }"#;
    let r = check("json_key", token, false);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("ok      canary.provider.token  {token}")),
        "{}",
        r.stdout
    );
    let r = check("json_key_json", token, true);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(
        doc["references"][0],
        json!({
            "path": "canary.provider.token",
            "kind": "aws_secret",
            "reference": {"aws_secret": "preprod/unleash", "key": "token"},
            "resolved": true,
        })
    );
    assert_eq!(
        (doc["resolved"].clone(), doc["failed"].clone()),
        (json!(1), json!(0))
    );

    // The whole string resolves without key.
    let r = check("plain", r#"{ aws_secret = "preprod/plain" }"#, false);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Each failure: exit 1, the reference and the fix, no value.
    for (name, token, want) in [
        (
            "not_found",
            r#"{ aws_secret = "preprod/nope", key = "token" }"#,
            r#"{ aws_secret = "preprod/nope", key = "token" }: AWS secret not found in region us-east-1"#,
        ),
        (
            "missing_key",
            r#"{ aws_secret = "preprod/unleash", key = "tokn" }"#,
            r#"the AWS secret has no key "tokn" (its keys: port, token, user); fix key in the reference"#,
        ),
        (
            "not_json",
            r#"{ aws_secret = "preprod/not-json", key = "token" }"#,
            r#"the AWS secret string is not a JSON object, so key "token" cannot be read from it"#,
        ),
        (
            "not_string",
            r#"{ aws_secret = "preprod/unleash", key = "port" }"#,
            r#"key "port" of the AWS secret is a number, not a string"#,
        ),
        (
            "binary",
            r#"{ aws_secret = "preprod/binary" }"#,
            "the AWS secret holds binary data, not a SecretString",
        ),
    ] {
        let r = check(name, token, false);
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains(want), "{name}: {}", r.stdout);
        assert!(r.stdout.contains("FAILED"), "{name}: {}", r.stdout);
        assert!(
            r.stdout.ends_with("1 of 1 do not resolve\n"),
            "{name}: {}",
            r.stdout
        );
    }
    let r = check(
        "missing_key_json",
        r#"{ aws_secret = "preprod/unleash", key = "tokn" }"#,
        true,
    );
    let doc: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(doc["references"][0]["resolved"], json!(false));
    let err = doc["references"][0]["error"].as_str().unwrap();
    assert!(err.contains("(its keys: port, token, user)"), "{err}");

    // A bad reference is a config error: exit 2, key path and message.
    let r = check("empty_id", r#"{ aws_secret = "" }"#, false);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("canary.provider"), "{}", r.stderr);
    assert!(r.stderr.contains("names no secret"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_endpoint_and_missing_region_are_named() {
    // Nothing listens on this port once the listener is dropped.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "dead", r#"{ aws_secret = "preprod/unleash" }"#);
    let mut c = flightdeck(&dead);
    c.args(["secrets", "check", "-c"]).arg(&path);
    let t = Instant::now();
    let r = run(c);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("AWS Secrets Manager at {dead} is unreachable")),
        "{}",
        r.stdout
    );
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );

    let mut c = flightdeck(&dead);
    c.env_remove("AWS_REGION");
    c.args(["secrets", "check", "-c"]).arg(&path);
    let r = run(c);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("no AWS region configured"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_access_denied() {
    // With IAM checks on from the first call, moto refuses unknown keys.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = config(
        dir.path(),
        "denied",
        r#"{ aws_secret = "preprod/unleash", key = "token" }"#,
    );
    let mut c = flightdeck(&moto.url);
    c.args(["secrets", "check", "-c"]).arg(&path);
    let r = run(c);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("AWS denied access (HTTP 403"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("grant secretsmanager:GetSecretValue"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unleash_token_from_aws_secret_drives_the_real_server() {
    let (Ok(url), Ok(token)) = (
        std::env::var("FLIGHTDECK_UNLEASH_URL"),
        std::env::var("FLIGHTDECK_UNLEASH_TOKEN"),
    ) else {
        panic!(
            "FLIGHTDECK_UNLEASH_URL / FLIGHTDECK_UNLEASH_TOKEN are not set: run `eval \"$(scripts/start-unleash.sh)\"` first"
        );
    };
    let moto = Moto::start().await;
    moto.put(
        "preprod/unleash-admin",
        &json!({"token": token}).to_string(),
    )
    .await;
    let flag = format!("aws-secret-e2e-{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .post(format!("{url}/api/admin/projects/default/features"))
        .header("Authorization", &token)
        .json(&json!({"name": flag, "type": "release"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create feature: {}", r.status());

    let token_ref = r#"{ aws_secret = "preprod/unleash-admin", key = "token" }"#;
    let flags = |args: &[&str]| {
        let mut c = flightdeck(&moto.url);
        c.env_remove("FLIGHTDECK_UNLEASH_TOKEN");
        c.args(["flags"]).args(args).args([
            "--unleash-url",
            &url,
            "--token-ref",
            token_ref,
            "--output",
            "json",
        ]);
        let r = run(c);
        assert!(
            !r.stdout.contains(&token) && !r.stderr.contains(&token),
            "token leaked"
        );
        r
    };
    let r = flags(&["set", &flag, "--percent", "25"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["state"]["rollout_percent"], json!(25.0));
    let r = flags(&["rollback", &flag]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A wrong key is refused before Unleash is called.
    let mut c = flightdeck(&moto.url);
    c.args(["flags", "get", &flag, "--unleash-url", &url, "--token-ref"])
        .arg(r#"{ aws_secret = "preprod/unleash-admin", key = "admin" }"#);
    let r = run(c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(r#"no key "admin" (its keys: token)"#),
        "{}",
        r.stderr
    );
}
