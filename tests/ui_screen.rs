//! Screen tests: snapshots of whole screens rendered through `ui::draw` on a
//! `TestBackend`, and style assertions where colour carries meaning.

mod ui_support;

use flightdeck::core::event::Event;
use flightdeck::ui::theme::Item;
use flightdeck::ui::{Theme, UiOptions};
use ratatui::style::Modifier;
use ui_support::*;

#[test]
fn full_layout_120x40_finished_run() {
    let app = app_with(&run_envelopes(), &opts());
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("full_120x40", screen);
}

#[test]
fn full_layout_shows_all_six_panes_and_the_header() {
    let app = app_with(&run_envelopes(), &opts());
    let screen = text(&render(&app, 120, 32));
    for title in [
        "[1 Stages]",
        " 2 Environment ",
        " 3 Load ",
        " 4 Canary ",
        " 5 Findings ",
        " 6 Log ",
    ] {
        assert!(screen.contains(title), "missing {title}:\n{screen}");
    }
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        !header.contains("flightdeck"),
        "at 120 columns the name gives way: {header}"
    );
    let wide = text(&render(&app, 140, 32));
    let header = wide.lines().next().unwrap_or_default();
    for part in [
        "flightdeck",
        "shop-api 2.14.0-rc3",
        "PREPROD-EU",
        "run 7f3a1c2d",
        "00:00:43",
        "operator sam",
        "RW",
        "score 100 PASS",
        "GO",
        "? help",
    ] {
        assert!(header.contains(part), "header lacks {part}: {header}");
    }
    assert!(screen.contains("No load stage is configured in this run plan."));
    assert!(screen.contains("No canary stage is configured in this run plan."));
    assert!(screen.contains("No scan stage is configured in this run plan."));
}

#[test]
fn in_progress_header_shows_provisional_score_and_running_clock() {
    let app = app_with(&in_progress_envelopes(), &opts());
    let screen = text(&render(&app, 120, 32));
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("00:00:30"), "{header}");
    assert!(header.contains("RUNNING"), "{header}");
    assert!(header.contains("score ~0 FAIL"), "{header}");
    assert!(screen.contains("RUN"), "{screen}");
}

#[test]
fn compact_layout_80x24() {
    let app = app_with(&in_progress_envelopes(), &opts());
    let screen = text(&render(&app, 80, 24));
    insta::assert_snapshot!("compact_80x24", screen);
    assert!(!screen.contains("6 Log"), "compact shows one pane only");
}

#[test]
fn compact_layout_switches_pane_with_digits() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "2");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("[2 Environment]"), "{screen}");
    assert!(!screen.contains("1 Stages"), "{screen}");
}

#[test]
fn mono_theme_80x24() {
    let o = UiOptions {
        theme: "mono".into(),
        ..opts()
    };
    let app = app_with(&failed_envelopes(), &o);
    let buf = render(&app, 80, 24);
    insta::assert_snapshot!("mono_80x24", text(&buf));
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
}

#[test]
fn help_overlay_120x40() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "?");
    insta::assert_snapshot!("help_120x40", text(&render(&app, 120, 40)));
}

#[test]
fn too_small_60x20() {
    let app = app_with(&run_envelopes(), &opts());
    let screen = text(&render(&app, 60, 20));
    assert!(
        screen.contains("terminal too small: need at least 80x24, have 60x20"),
        "{screen}"
    );
    insta::assert_snapshot!("too_small_60x20", screen);
}

#[test]
fn replay_with_environment_zoomed() {
    let o = UiOptions {
        replay: true,
        ..opts()
    };
    let mut app = app_with(&run_envelopes(), &o);
    press(&mut app, "2");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 32));
    insta::assert_snapshot!("replay_env_zoomed_120x32", screen);
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("RO") && header.contains("REPLAY"),
        "{header}"
    );
}

#[test]
fn stage_detail_overlay_shows_evidence() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "enter");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("[Stage env (environment, hard)]"),
        "{screen}"
    );
    for part in [
        "api health",
        "200 in 12 ms, version 2.14.0-rc3",
        "200 within 500 ms",
        "cache health",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn quit_confirmation_dialog_renders_with_no_focused() {
    let mut app = app_with(&in_progress_envelopes(), &opts());
    press(&mut app, "q");
    let screen = text(&render(&app, 120, 32));
    assert!(
        screen.contains("Run in progress: quit and abort it? [y/N]"),
        "{screen}"
    );
    assert!(screen.contains("[ No ]"), "{screen}");
}

#[test]
fn ascii_borders() {
    let o = UiOptions {
        ascii: true,
        ..opts()
    };
    let app = app_with(&run_envelopes(), &o);
    let screen = text(&render(&app, 120, 32));
    assert!(screen.contains("+[1 Stages]---"), "{screen}");
    assert!(!screen.contains('┌') && !screen.contains('│'), "{screen}");
}

#[test]
fn environment_pane_without_environment_stage_says_so() {
    let mut envs = run_envelopes();
    if let flightdeck::core::event::Event::RunStarted { stages, .. } = &mut envs[0].event {
        stages.retain(|s| s.id != "env");
    }
    let app = app_with(&envs[..1], &opts());
    let screen = text(&render(&app, 120, 32));
    assert!(
        screen.contains("No environment stage is configured in this run plan."),
        "{screen}"
    );
}

#[test]
fn fail_badge_has_the_fail_colour_in_default_and_a_modifier_in_mono() {
    let app = app_with(&failed_envelopes(), &opts());
    let buf = render(&app, 120, 32);
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, " FAIL ")
        .map(|(x, y)| (x + 1, y))
        .expect("a FAIL badge");
    let cell = &buf[(x, y)];
    assert_eq!(Some(cell.fg), theme.style(Item::Fail).fg, "{cell:?}");
    assert!(cell.modifier.contains(Modifier::BOLD));

    let o = UiOptions {
        theme: "mono".into(),
        ..opts()
    };
    let app = app_with(&failed_envelopes(), &o);
    let buf = render(&app, 120, 32);
    let (x, y) = find(&buf, " FAIL ")
        .map(|(x, y)| (x + 1, y))
        .expect("a FAIL badge");
    let cell = &buf[(x, y)];
    assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
    assert!(
        cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD),
        "{cell:?}"
    );
}

#[test]
fn prod_environment_badge_is_red_and_pass_badge_green() {
    let mut envs = run_envelopes();
    if let flightdeck::core::event::Event::RunStarted {
        risk, environment, ..
    } = &mut envs[0].event
    {
        *risk = flightdeck::core::event::EnvRisk::Prod;
        *environment = "prod-eu".into();
    }
    let app = app_with(&envs, &opts());
    let buf = render(&app, 120, 32);
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, "PROD-EU").expect("prod badge");
    assert_eq!(Some(buf[(x, y)].bg), theme.style(Item::EnvProd).bg);
    let (x, y) = find(&buf, "PASS").expect("pass badge");
    assert_eq!(Some(buf[(x, y)].fg), theme.style(Item::Pass).fg);
}

#[test]
fn focused_pane_title_is_marked_and_highlighted() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "tab");
    let buf = render(&app, 120, 32);
    let screen = text(&buf);
    assert!(
        screen.contains("[2 Environment]") && screen.contains(" 1 Stages "),
        "{screen}"
    );
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, "[2 Environment]").expect("title");
    assert_eq!(Some(buf[(x, y)].fg), theme.style(Item::TitleFocus).fg);
}

#[test]
fn hint_bar_is_generated_from_the_keymap_and_read_only_drops_rollback() {
    let app = app_with(&run_envelopes(), &opts());
    let screen = text(&render(&app, 120, 32));
    let hints = screen.lines().last().unwrap_or_default();
    for part in [
        "tab focus",
        "1-6 pane",
        "z zoom",
        "/ filter",
        ": command",
        "R rollback",
        "q quit",
    ] {
        assert!(hints.contains(part), "hints lack {part}: {hints}");
    }
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let app = app_with(&run_envelopes(), &o);
    let screen = text(&render(&app, 120, 32));
    let hints = screen.lines().last().unwrap_or_default();
    assert!(
        !hints.contains("rollback") && !hints.contains("promote"),
        "{hints}"
    );
    assert!(
        screen.lines().next().unwrap_or_default().contains(" RO "),
        "header shows RO"
    );
}

#[test]
fn replay_log_pane_shows_the_journal_lines() {
    let o = UiOptions {
        replay: true,
        ..opts()
    };
    let app = app_with(&run_envelopes(), &o);
    let screen = text(&render(&app, 120, 32));
    // The narrative of every event, journal log lines included, newest last.
    assert!(
        screen.contains("10:00:42 INFO  [gate] PASS GO at score 100"),
        "{screen}"
    );
    assert!(screen.contains("10:00:43 INFO  decision: GO"), "{screen}");
    assert!(screen.contains("10:00:43 INFO  finished: GO"), "{screen}");
}

#[test]
fn planned_capability_without_data_says_waiting() {
    let mut envs = run_envelopes();
    if let flightdeck::core::event::Event::RunStarted { stages, .. } = &mut envs[0].event {
        stages.push(flightdeck::core::event::StagePlan {
            id: "load".into(),
            kind: flightdeck::core::event::StageKind::Load,
            weight: 2.0,
            hard: false,
        });
    }
    let app = app_with(&envs[..1], &opts());
    let screen = text(&render(&app, 120, 32));
    assert!(
        screen.contains("load stage planned: waiting for data."),
        "{screen}"
    );
    assert!(
        screen.contains("No canary stage is configured in this run plan."),
        "{screen}"
    );
}

#[test]
fn no_color_gives_the_mono_look_whatever_the_theme() {
    let o = UiOptions {
        theme: "high-contrast".into(),
        color: flightdeck::config::ColorMode::Auto,
        ..opts()
    };
    let state = flightdeck::core::state::RunState::from_envelopes(&failed_envelopes());
    let app = flightdeck::ui::App::with_no_color(&o, state, true, true).expect("app");
    assert_eq!(app.theme().name, "mono");
    let buf = render(&app, 120, 32);
    let (x, y) = find(&buf, " FAIL ")
        .map(|(x, y)| (x + 1, y))
        .expect("a FAIL badge");
    assert_eq!(buf[(x, y)].fg, ratatui::style::Color::Reset);
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
}

fn release_app(o: &UiOptions) -> flightdeck::ui::App {
    let mut app = app_with(&release_envelopes(), o);
    app.now = t0() + chrono::Duration::seconds(38);
    app
}

fn no_braille(screen: &str) -> bool {
    !screen
        .chars()
        .any(|c| ('\u{2800}'..='\u{28ff}').contains(&c) || c == '•' || c == '·' || c == '─')
}

#[test]
fn release_full_layout_120x40_shows_load_and_findings() {
    let app = release_app(&opts());
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("release_full_120x40", screen);
    assert!(screen.contains("p95 39ms"), "{screen}");
    assert!(screen.contains("SLO p95<150ms"), "{screen}");
    assert!(
        screen.contains("crit 0 high 1 med 2 low 2 (open)"),
        "{screen}"
    );
}

#[test]
fn load_zoomed_120x40() {
    let mut app = release_app(&opts());
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("load_zoomed_120x40", screen);
    for part in [
        "p50 12ms p95 39ms p99 102ms 2.0k rps err 0.2%  SLO p95<150ms",
        "lag p99 1.2ms",
        "sat 1/30s",
        "p50",
        "p95",
        "p99",
        "SLO p95<150ms",
        "achieved",
        "target",
        "endpoint",
        "checkout",
        "search",
        "err max",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn load_compact_80x24_mono_ascii_keeps_chart_and_figures() {
    let o = UiOptions {
        theme: "mono".into(),
        ascii: true,
        ..opts()
    };
    let mut app = release_app(&o);
    press(&mut app, "3");
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    insta::assert_snapshot!("load_compact_80x24_mono_ascii", screen);
    assert!(screen.contains("p95 39ms"), "{screen}");
    assert!(screen.contains("lag p99"), "{screen}");
    assert!(screen.contains("p99"), "legend:\n{screen}");
    assert!(screen.contains('*'), "p99 series in ascii:\n{screen}");
    assert!(
        no_braille(&screen),
        "ascii mode drew unicode markers:\n{screen}"
    );
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
}

#[test]
fn load_shows_saturated_badge_when_the_latest_window_is_saturated() {
    let envs: Vec<_> = release_envelopes()
        .into_iter()
        .filter(|e| match &e.event {
            flightdeck::core::event::Event::LoadWindow { window, .. } => window.second <= 17,
            _ => true,
        })
        .collect();
    let mut app = app_with(&envs, &opts());
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("lag p99 14ms"), "{screen}");
    assert!(screen.contains("SATURATED"), "{screen}");
}

#[test]
fn load_planned_without_data_says_waiting() {
    let envs: Vec<_> = release_envelopes().into_iter().take(1).collect();
    let mut app = app_with(&envs, &opts());
    press(&mut app, "3");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("load stage planned: waiting for data."),
        "{screen}"
    );
}

#[test]
fn finished_load_shows_summary_figures_and_endpoint_verdicts() {
    let mut app = app_with(&release_finished_envelopes(), &opts());
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("final: p50 12ms p95 44ms p99 97ms 2.0k rps err 0.07%"),
        "{screen}"
    );
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("│{name} ")) || l.contains(&format!(" {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("checkout").contains("PASS"), "{screen}");
    assert!(row("search").contains("FAIL"), "{screen}");
    assert!(!row("catalog").contains("PASS"), "{screen}");
}

#[test]
fn findings_zoomed_120x40() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("findings_zoomed_120x40", screen);
    for part in [
        "crit 0 high 1 med 2 low 2 (open)",
        "accepted until 2026-06-30",
        "EXPIRED 2026-02-15",
        "suppressed",
        "fixed",
        "known",
        "DENY",
        "image tag `latest`",
        "WARN",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    assert!(!screen.contains("deny_k8s"), "passing policies stay out");
}

#[test]
fn expired_acceptance_is_styled_as_a_blocker() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    press(&mut app, "z");
    let buf = render(&app, 120, 40);
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, "EXPIRED").expect("expired status");
    assert_eq!(
        buf[(x, y)].fg,
        theme.style(Item::Fail).fg.unwrap_or_default()
    );
}

#[test]
fn finding_detail_overlay_120x40() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    press(&mut app, "down");
    press(&mut app, "enter");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("finding_detail_120x40", screen);
    for part in [
        "[Finding CVE-2026-1234 (Trivy)]",
        "rule properties.security-severity 7.5",
        "https://avd.aquasec.com.example/nvd/cve-2026-1234",
        "scanner: new",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn expired_acceptance_detail_names_approver_and_expiry() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    press(&mut app, "/");
    type_line(&mut app, "CKV_K8S_8");
    press(&mut app, "enter");
    let screen = text(&render(&app, 120, 40));
    for part in [
        "by bob until 2026-02-15: probe lands with 2.15",
        "EXPIRED (judged on 2026-03-02)",
        "acceptance by bob expired on 2026-02-15",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

// --- Canary pane ---

fn canary_zoomed(envs: &[flightdeck::core::event::Envelope], o: &UiOptions) -> flightdeck::ui::App {
    let mut app = canary_app(envs, o);
    press(&mut app, "4");
    press(&mut app, "z");
    app
}

#[test]
fn canary_zoomed_120x40_mid_rollout() {
    let app = canary_zoomed(&canary_envelopes(), &opts());
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("canary_zoomed_120x40", screen);
    for part in [
        "[4 Canary] flag checkout-v2 25% -> canary  step 2/4  judgement PASS (score 100)  [R] rollback",
        "5% ✓  25% ●  50% ·  100% ·",
        "guard: 1/3 breaching windows, rollback in 2 windows",
        "judged step 1 at 5%: PASS (score 100)",
        "metric",
        "baseline",
        "CI (shift)",
        "effect",
        "thr/bound",
        "n b/c",
        "verdict",
        "p95 latency",
        "error rate*",
        "-1.25..4.5",
        "1.08x",
        "1.20x ±9.5",
        "60/58",
        "canary 25%",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    assert!(!screen.contains("ROLLBACK"), "{screen}");
}

#[test]
fn canary_compact_80x24_mono() {
    let o = UiOptions {
        theme: "mono".into(),
        ..opts()
    };
    let mut app = canary_app(&canary_envelopes(), &o);
    press(&mut app, "4");
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    insta::assert_snapshot!("canary_compact_80x24_mono", screen);
    for part in [
        "[4 Canary]",
        "checkout-v2 25%",
        "2/4",
        "PASS",
        "5% ✓  25% ●  50% ·  100% ·",
        "guard: 1/3 breaching windows, rollback in 2 windows",
        "p95 latency",
        "verdict",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "overflow: {line}");
    }
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
}

#[test]
fn canary_after_a_confirmed_rollback_120x40() {
    let app = canary_zoomed(&canary_rolled_back_envelopes(), &opts());
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("canary_rolled_back_120x40", screen);
    assert!(
        screen.contains("ROLLED BACK (confirmed in 1.5 ms by sam: operator key R)"),
        "{screen}"
    );
}

#[test]
fn canary_ascii_uses_bracket_markers() {
    let o = UiOptions {
        ascii: true,
        ..opts()
    };
    let app = canary_zoomed(&canary_envelopes(), &o);
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("5% [x]  25% [>]  50% [ ]  100% [ ]"),
        "{screen}"
    );
    assert!(screen.contains("1.20x +/-9.5"), "{screen}");
    assert!(!screen.contains('✓') && !screen.contains('●'), "{screen}");
}

#[test]
fn canary_in_the_full_grid_keeps_the_essentials() {
    let app = canary_app(&canary_envelopes(), &opts());
    let screen = text(&render(&app, 120, 40));
    for part in [
        " 4 Canary ",
        "checkout-v2 25%",
        "guard: 1/3 breaching",
        "p95 latency",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn canary_verdict_badges_are_styled_and_read_only_drops_the_key() {
    let app = canary_zoomed(&canary_envelopes(), &opts());
    let buf = render(&app, 120, 40);
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, "TRIPPED")
        .or_else(|| find(&buf, "1/3 breaching"))
        .expect("guard");
    assert_eq!(Some(buf[(x, y)].fg), theme.style(Item::Warn).fg);
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let app = canary_zoomed(&canary_envelopes(), &o);
    let screen = text(&render(&app, 120, 40));
    let title = screen.lines().nth(1).unwrap_or_default();
    assert!(!title.contains("[R]"), "{title}");
}

fn iac_env_app(o: &UiOptions) -> flightdeck::ui::App {
    let mut app = app_with(&iac_envelopes(), o);
    press(&mut app, "2");
    app
}

#[test]
fn environment_zoomed_with_iac_120x40() {
    let mut app = iac_env_app(&opts());
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("env_iac_zoomed_120x40", screen);
    for part in [
        "IaC terraform (workspace default)  WARN",
        "plan +1 ~1 -1 ±2 (replace)  drift 2  parity 66.7 (2 unintended)  risk HIGH",
        "output.service.log_level: debug vs info",
        "aws_db_instance.main.multi_az: false vs true",
        "TTL: destroy at 11:00:00 (in 59m)",
        "endpoint",
        "cache",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    assert!(
        !screen.contains("instance_type: t3.small"),
        "intended diff in the pane:\n{screen}"
    );
}

#[test]
fn iac_detail_overlay_120x40() {
    let mut app = iac_env_app(&opts());
    press(&mut app, "enter");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("iac_detail_120x40", screen);
    for part in [
        "[IaC env: terraform (workspace default)]",
        "aws_db_instance.main",
        "replace_because_cannot_update",
        "HIGH",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn iac_detail_scrolls_to_every_parity_difference() {
    let mut app = iac_env_app(&opts());
    press(&mut app, "enter");
    for _ in 0..60 {
        press(&mut app, "down");
    }
    let screen = text(&render(&app, 120, 40));
    for part in [
        "DIFF      output.service.log_level: debug vs info",
        "intended  aws_instance.web.instance_type: t3.small vs m5.large  (preprod runs on smaller instances)",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn environment_with_iac_compact_80x24_mono() {
    let o = UiOptions {
        theme: "mono".into(),
        ..opts()
    };
    let app = iac_env_app(&o);
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    insta::assert_snapshot!("env_iac_compact_80x24_mono", screen);
    for part in [
        "WARN",
        "(replace)",
        "2 unintended",
        "debug vs info",
        "TTL: destroy at",
        "api",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
}

#[test]
fn stages_running_side_by_side_show_in_the_stages_pane() {
    // A second stage starts while env still runs, as the graph allows.
    let mut envs = in_progress_envelopes();
    let seq = envs.len() as u64 + 1;
    envs.push(envelope(
        seq,
        31,
        Event::StageStarted {
            stage: "scans".into(),
        },
    ));
    let app = app_with(&envs, &opts());
    let screen = text(&render(&app, 120, 32));
    assert!(screen.contains("2 running"), "{screen}");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| (l.contains(" env ") || l.contains(" scans ")) && l.contains("RUN"))
        .collect();
    assert_eq!(rows.len(), 2, "both stages show RUN:\n{screen}");
    // One running stage needs no note.
    let one = text(&render(
        &app_with(&in_progress_envelopes(), &opts()),
        120,
        32,
    ));
    assert!(!one.contains("running"), "{one}");
}
