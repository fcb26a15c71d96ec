//! Faults of the data stage against real clusters: the target dies in the
//! middle of a table (its backend is terminated by a trigger at a chosen
//! row, so the test needs no timing): the copy fails naming the table, no
//! half-written table is reported copied, and the next copy starts clean
//! without --replace. And the stage itself, through the recorder: its
//! events fold into the Data view, and neither the HMAC key nor the
//! password reach the journal.

mod data_support;

use data_support::{KEY, between, clean_rules, json, scalar, start};
use flightdeck::core::verdict::Verdict;

/// In the target: once `orders` is created, its 1500th row kills the
/// copying backend.
const KILLER: &str = r#"
CREATE FUNCTION public.die() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
CREATE FUNCTION public.arm() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('public.orders') IS NOT NULL AND NOT EXISTS
     (SELECT 1 FROM pg_trigger WHERE tgname = 'die_at_1500') THEN
    CREATE TRIGGER die_at_1500 BEFORE INSERT ON public.orders FOR EACH ROW
      WHEN (NEW.id = 1500) EXECUTE FUNCTION public.die();
  END IF;
END $$;
CREATE EVENT TRIGGER arm_killer ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.arm();
"#;

#[test]
fn target_dying_mid_copy_fails_the_table_and_the_rerun_starts_clean() {
    if !data_support::available() {
        return;
    }
    let pair = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, clean_rules()).expect("write rules");
    let rules_s = rules.to_str().expect("path");
    let tgt = pair.preprod.database("shop_preprod");
    let mut c = postgres::Client::connect(&tgt, postgres::NoTls).expect("connect");
    c.batch_execute(KILLER).expect("arm the killer");
    let src = pair.source.as_str();
    let out = between("copy", src, &tgt, &["--rules", rules_s, "--jobs", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: copying public.orders"), "{stderr}");
    assert!(!stderr.contains("public.orders copied"), "{stderr}");
    // The target says a copy broke here.
    assert_eq!(
        scalar(
            &tgt,
            "SELECT count(*) FROM pg_namespace WHERE nspname = '_flightdeck_data'"
        ),
        1
    );

    // Disarm; the rerun wipes the broken copy by itself and completes.
    c.batch_execute(
        "DROP EVENT TRIGGER arm_killer; DROP FUNCTION arm(); DROP FUNCTION die() CASCADE",
    )
    .expect("disarm");
    let out = between("copy", src, &tgt, &["--rules", rules_s, "--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["resumed_clean"], true);
    assert_eq!(scalar(&tgt, "SELECT count(*) FROM orders"), 3000);
    assert_eq!(
        scalar(
            &tgt,
            "SELECT count(*) FROM pg_namespace WHERE nspname = '_flightdeck_data'"
        ),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stage_emits_its_events_and_never_the_secrets() {
    if !data_support::available() {
        return;
    }
    // The sync client behind the fixtures runs its own runtime: a plain thread.
    let (pair, tgt) = std::thread::spawn(|| {
        let pair = start();
        let tgt = pair.preprod.database("shop_stage");
        (pair, tgt)
    })
    .join()
    .expect("start clusters");
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, clean_rules()).expect("write rules");
    let tgt = tgt.replace("postgres@", "postgres:planted-password-5b2e@");
    // SAFETY: set before any thread of this test reads the environment.
    unsafe {
        std::env::set_var("FD_STAGE_SRC", &pair.source);
        std::env::set_var("FD_STAGE_TGT", &tgt);
        std::env::set_var(data_support::KEY_ENV, KEY);
    }
    let cfg = flightdeck::data::DataSection {
        source: Some(flightdeck::secrets::SecretRef::env("FD_STAGE_SRC")),
        target: Some(flightdeck::secrets::SecretRef::env("FD_STAGE_TGT")),
        rules: Some(rules.clone()),
        replace: false,
        jobs: Some(2),
        ..Default::default()
    };
    let journal_path = dir.path().join("journal.jsonl");
    let journal = flightdeck::record::journal::Journal::create(&journal_path).expect("journal");
    let rec = flightdeck::record::recorder::Recorder::new(Some(journal));
    flightdeck::data::stage::run_stage(&cfg, "data", &rec).await;
    let state = rec.snapshot();
    let stage = state
        .stages
        .iter()
        .find(|s| s.plan.id == "data")
        .expect("the stage");
    assert_eq!(
        stage.verdict,
        Some(Verdict::Pass),
        "{} {:?}",
        stage.summary,
        stage.evidence
    );
    let d = &state.data;
    let orders = d
        .tables
        .iter()
        .find(|t| t.table == "public.orders")
        .expect("orders");
    assert!(orders.copied && orders.rows == 3000);
    assert!(orders.transforms.iter().any(|t| t == "customer_email:fake"));
    assert_eq!(orders.parity, Some(Verdict::Pass));
    assert!(d.leak.as_ref().is_some_and(|l| l.rows > 0));
    assert_eq!(d.leaks(), 0);
    rec.close();
    let text = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(text.contains("\"type\":\"data_table_copied\""));
    assert!(!text.contains(KEY), "the HMAC key is in the journal");
    assert!(
        !text.contains("planted-password-5b2e"),
        "the password is in the journal"
    );
    assert!(
        !text.contains("@corp-mail.io"),
        "a source email is in the journal"
    );
}
