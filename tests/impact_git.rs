//! Change impact on a git repository the test builds with known commits:
//! files, renames and line counts read from git; rules that select and
//! intensify; hard gates kept; a change no rule explains runs the full
//! plan; a bad range or a directory outside any repository is an error
//! naming the range. Then the engine: a skipped stage ends skipped with its
//! reason, and `flightdeck plan` prints the selection without running.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use flightdeck::config::Sources;
use flightdeck::core::command::Command as EngineCommand;
use flightdeck::core::event::{Outcome, StageKind};
use flightdeck::core::impact::{ImpactEffect, Intensification};
use flightdeck::core::verdict::Verdict;
use flightdeck::engine::config::{self, Config};
use flightdeck::engine::{self, AfterDecision, Prepared, RunIdentity};
use flightdeck::impact::{Git, ImpactSection, PlannedStage, select};
use flightdeck::record::recorder::Recorder;

/// A repository with four commits, tagged c1..c4:
/// - c1: infra/main.tf, src/checkout/pay.rs (3 lines), src/cart/cart.rs, docs/old.md, Cargo.toml;
/// - c2: pay.rs gains 2 lines and loses 1; docs/old.md renamed to docs/guide.md;
/// - c3: docs/guide.md edited;
/// - c4: Cargo.toml edited (no rule matches it).
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.dir.path())
            .args([
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(p, text).expect("write");
    }

    fn commit(&self, tag: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", tag]);
        self.git(&["tag", tag]);
    }

    fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r.write("infra/main.tf", "resource \"x\" \"y\" {}\n");
        r.write("src/checkout/pay.rs", "fn a() {}\nfn b() {}\nfn c() {}\n");
        r.write("src/cart/cart.rs", "fn cart() {}\n");
        r.write(
            "docs/old.md",
            "# Guide\n\nA long enough text that git sees the rename as one.\nline\nline\nline\n",
        );
        r.write("Cargo.toml", "[package]\nname = \"x\"\n");
        r.commit("c1");
        r.write(
            "src/checkout/pay.rs",
            "fn a() {}\nfn c() {}\nfn d() {}\nfn e() {}\n",
        );
        std::fs::rename(
            r.dir.path().join("docs/old.md"),
            r.dir.path().join("docs/guide.md"),
        )
        .expect("rename");
        r.commit("c2");
        r.write(
            "docs/guide.md",
            "# Guide\n\nA long enough text that git sees the rename as one.\nline\nline\nline\nmore\n",
        );
        r.commit("c3");
        r.write("Cargo.toml", "[package]\nname = \"x\"\nversion = \"2\"\n");
        r.commit("c4");
        r
    }

    fn git_at(&self) -> Git {
        Git::new(None, Some(self.dir.path()))
    }
}

fn rules() -> ImpactSection {
    toml::from_str(
        r#"
        [[rules]]
        name = "infra"
        paths = ["infra/**"]
        reason = "infrastructure changed: check the environment and policies"
        select = ["env", "policy"]

        [[rules]]
        name = "checkout"
        paths = ["src/checkout/**"]
        reason = "checkout code changed: longer load, stricter canary"
        select = ["load"]
        intensify = [{ stage = "load", duration_factor = 2 }, { stage = "canary", critical_metrics = ["p95 latency"] }]

        [[rules]]
        name = "docs"
        paths = ["docs/**", "*.md"]
        reason = "documentation only: nothing extra"
        "#,
    )
    .expect("rules")
}

fn plan() -> Vec<PlannedStage> {
    let st = |id: &str, kind, hard, needs: &[&str]| PlannedStage {
        id: id.into(),
        kind,
        hard,
        needs: needs.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        st("env", StageKind::Environment, true, &[]),
        st("load", StageKind::Load, false, &[]),
        st("canary", StageKind::Canary, false, &[]),
        st("scans", StageKind::Scan, false, &[]),
        st("policy", StageKind::Policy, false, &["scans"]),
        st("gate", StageKind::Gate, false, &[]),
    ]
}

#[test]
fn git_gives_files_renames_and_lines() {
    let repo = Repo::new();
    let c = repo.git_at().change("c1..c2").expect("change");
    assert_eq!(c.range, "c1..c2");
    let pay = c
        .files
        .iter()
        .find(|f| f.path == "src/checkout/pay.rs")
        .expect("pay.rs");
    assert_eq!((pay.added, pay.removed), (2, 1));
    let guide = c
        .files
        .iter()
        .find(|f| f.path == "docs/guide.md")
        .expect("renamed file");
    assert_eq!(guide.renamed_from.as_deref(), Some("docs/old.md"));
    assert_eq!(c.files.len(), 2, "{:?}", c.files);
    // Three dots: from the merge base, here the same as two.
    assert_eq!(
        repo.git_at().change("c1...c2").expect("change").files,
        c.files
    );
}

#[test]
fn rules_select_and_intensify_and_hard_gates_are_kept() {
    let repo = Repo::new();
    let change = repo.git_at().change("c1..c2").expect("change");
    let sel = select(&plan(), &change, &rules(), None);
    assert!(!sel.full_plan, "{}", sel.reason);
    let names: Vec<&str> = sel.matched.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(names, ["checkout", "docs"]);
    let e = |id: &str| sel.stage(id).expect(id).clone();
    assert_eq!(e("load").effect, ImpactEffect::Intensified);
    assert_eq!(
        e("load").intensify,
        [Intensification::LoadDuration { factor: 2.0 }]
    );
    assert_eq!(e("load").rules, ["checkout"]);
    assert_eq!(e("canary").effect, ImpactEffect::Intensified);
    assert_eq!(
        e("canary").intensify,
        [Intensification::CriticalMetric {
            metric: "p95 latency".into()
        }]
    );
    // env is a hard gate: kept, and says why.
    assert_eq!(e("env").effect, ImpactEffect::Kept);
    assert!(
        e("env").reason.contains("allow_skip_hard = false"),
        "{}",
        e("env").reason
    );
    assert_eq!(e("scans").effect, ImpactEffect::Skipped);
    assert!(
        e("scans")
            .reason
            .contains("no matched rule (checkout, docs)")
    );
    assert_eq!(e("policy").effect, ImpactEffect::Skipped);
    assert!(sel.stage("gate").is_none(), "the gate always runs");

    // Only when config allows it is a hard gate skipped, with the reason.
    let mut allow = rules();
    allow.allow_skip_hard = true;
    let sel = select(&plan(), &change, &allow, None);
    let env = sel.stage("env").expect("env");
    assert_eq!(env.effect, ImpactEffect::Skipped);
    assert!(
        env.reason.contains("impact.allow_skip_hard = true"),
        "{}",
        env.reason
    );

    // The infra rule selects policy, and policy needs scans: scans runs.
    let mut infra = change.clone();
    infra.files[0].path = "infra/main.tf".into();
    infra.files.truncate(1);
    let sel = select(&plan(), &infra, &rules(), None);
    assert_eq!(
        sel.stage("policy").expect("policy").effect,
        ImpactEffect::Selected
    );
    let scans = sel.stage("scans").expect("scans");
    assert_eq!(scans.effect, ImpactEffect::Selected);
    assert_eq!(scans.reason, "`policy` needs it");
}

#[test]
fn a_change_no_rule_explains_runs_the_full_plan() {
    let repo = Repo::new();
    let change = repo.git_at().change("c3..c4").expect("change");
    let sel = select(&plan(), &change, &rules(), None);
    assert!(sel.full_plan);
    assert_eq!(sel.reason, "no rule matched the change");
    assert!(
        sel.stages
            .iter()
            .all(|s| s.effect == ImpactEffect::Selected)
    );
    // Docs plus an unexplained file: still the full plan, naming the file.
    let change = repo.git_at().change("c2..c4").expect("change");
    let sel = select(&plan(), &change, &rules(), None);
    assert!(sel.full_plan);
    assert!(
        sel.reason
            .contains("1 changed file match no rule (Cargo.toml)"),
        "{}",
        sel.reason
    );
    // A docs-only change skips what is not hard.
    let sel = select(
        &plan(),
        &repo.git_at().change("c2..c3").expect("c"),
        &rules(),
        None,
    );
    assert!(!sel.full_plan);
    assert_eq!(sel.skipped().count(), 4);
}

#[test]
fn a_bad_range_or_a_directory_outside_a_repository_names_the_range() {
    let repo = Repo::new();
    let e = repo.git_at().change("nope..c2").unwrap_err();
    assert_eq!(e.range, "nope..c2");
    assert!(
        e.to_string()
            .starts_with("change range `nope..c2`: git cannot resolve `nope`"),
        "{e}"
    );
    let outside = tempfile::tempdir().expect("tempdir");
    let e = Git::new(None, Some(outside.path()))
        .change("c1..c2")
        .unwrap_err();
    assert!(
        e.to_string().starts_with("change range `c1..c2`: ")
            && e.to_string().contains("is not inside a git repository"),
        "{e}"
    );
    let e = Git::new(None, Some(&outside.path().join("missing")))
        .change("c1..c2")
        .unwrap_err();
    assert!(e.to_string().contains("is not a directory"), "{e}");
}

fn light_config(repo: &Path, state: &Path) -> (PathBuf, Config) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = format!(
        r#"
state_dir = "{state}"
[run]
service = "shop-api"
release = "1.0"
[scan]
sarif = ["{root}/tests/fixtures/sarif/semgrep.sarif"]
[scan.criteria]
max_new_critical = 100
max_new_high = 100
[policy]
dir = "{root}/config/policies"
[impact]
repo = "{repo}"
[[impact.rules]]
name = "docs"
paths = ["docs/**"]
reason = "documentation only: nothing extra"
[[stages]]
id = "scans"
kind = "scan"
hard = true
needs = []
[[stages]]
id = "policy"
kind = "policy"
needs = []
[[stages]]
id = "gate"
kind = "gate"
"#,
        state = state.display(),
        root = root.display(),
        repo = repo.display()
    );
    let file = state.join("impact.toml");
    std::fs::create_dir_all(state).expect("state");
    std::fs::write(&file, text).expect("config");
    let cfg = config::load(&Sources {
        file: Some(file.clone()),
        text: None,
        env: HashMap::new(),
        overrides: Vec::new(),
    })
    .expect("config is valid");
    (file, cfg)
}

#[tokio::test]
async fn the_engine_skips_what_impact_skips_and_says_why() {
    let repo = Repo::new();
    let state = tempfile::tempdir().expect("tempdir");
    let (_, cfg) = light_config(repo.dir.path(), state.path());
    let change = repo.git_at().change("c2..c3").expect("docs change");
    let sel = select(&engine::impact::planned(&cfg), &change, &cfg.impact, None);
    let rec = Recorder::default();
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel::<EngineCommand>();
    let id = RunIdentity {
        run_id: "impact".into(),
        operator: "tester".into(),
        approvals: Default::default(),
    };
    let prepared = Prepared {
        impact: Some(sel),
        ..Prepared::default()
    };
    let outcome = engine::run_with(&cfg, &id, &rec, rx, AfterDecision::Return, &prepared).await;
    let s = rec.snapshot();
    let policy = s.stage("policy").expect("policy");
    assert_eq!(policy.verdict, Some(Verdict::Skipped));
    assert_eq!(
        policy.summary,
        "skipped by change impact: no matched rule (docs) selects it"
    );
    assert_eq!(policy.started_at, None, "a skipped stage never started");
    let scans = s.stage("scans").expect("scans");
    assert_ne!(scans.verdict, Some(Verdict::Skipped), "the hard gate ran");
    assert!(s.impact.is_some(), "the selection is in the run state");
    assert_ne!(outcome, Outcome::Inconclusive, "{:?}", s.decision);
    // The selection is journalled before any stage starts.
    let log: Vec<&str> = s.logs.iter().map(|l| l.message.as_str()).collect();
    let change_line = log
        .iter()
        .position(|l| l.starts_with("change c2..c3: 1 file"))
        .expect("change line");
    let started = log
        .iter()
        .position(|l| *l == "started")
        .expect("a stage started");
    assert!(change_line < started, "{log:?}");
}

#[test]
fn flightdeck_plan_prints_the_selection_and_refuses_a_bad_range() {
    let repo = Repo::new();
    let state = tempfile::tempdir().expect("tempdir");
    let (file, _) = light_config(repo.dir.path(), state.path());
    let run = |range: &str| {
        Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(["plan", "-c"])
            .arg(&file)
            .args(["--changes", range])
            .env_remove("NO_COLOR")
            .output()
            .expect("flightdeck plan")
    };
    let o = run("c2..c3");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("change c2..c3"), "{out}");
    assert!(
        out.contains("docs (1 file): documentation only: nothing extra"),
        "{out}"
    );
    assert!(out.contains("scans   kept"), "{out}");
    assert!(
        out.contains("policy  skipped    : no matched rule (docs) selects it"),
        "{out}"
    );
    let o = run("main~9..c3");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error: change range `main~9..c3`: git cannot resolve `main~9`"),
        "{err}"
    );
    assert!(!state.path().join("runs").exists(), "plan runs nothing");
}
