//! Behaviour of the control room's pure core, driven through `App::handle_key`.

mod ui_support;

use flightdeck::core::command::Command;
use flightdeck::core::event::Event;
use flightdeck::ui::help::help_rows;
use flightdeck::ui::panes::findings::FindingsRow;
use flightdeck::ui::{Effect, FindingSort, Keymap, Overlay, Pane, UiOptions};
use ui_support::*;

#[test]
fn tab_and_shift_tab_cycle_focus() {
    let mut app = app_with(&run_envelopes(), &opts());
    assert_eq!(app.focus(), Pane::Stages);
    let mut seen = Vec::new();
    for _ in 0..6 {
        press(&mut app, "tab");
        seen.push(app.focus());
    }
    assert_eq!(
        seen,
        [
            Pane::Environment,
            Pane::Load,
            Pane::Canary,
            Pane::Findings,
            Pane::Log,
            Pane::Stages
        ]
    );
    press(&mut app, "shift-tab");
    assert_eq!(app.focus(), Pane::Log);
}

#[test]
fn digits_jump_to_panes() {
    let mut app = app_with(&run_envelopes(), &opts());
    for (key, pane) in [
        ("4", Pane::Canary),
        ("6", Pane::Log),
        ("1", Pane::Stages),
        ("2", Pane::Environment),
    ] {
        press(&mut app, key);
        assert_eq!(app.focus(), pane);
    }
}

#[test]
fn zoom_toggles_and_shows_only_the_focused_pane() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "2");
    press(&mut app, "z");
    assert!(app.zoomed());
    let screen = text(&render(&app, 120, 32));
    assert!(
        screen.contains("[2 Environment]") && !screen.contains("1 Stages"),
        "{screen}"
    );
    press(&mut app, "z");
    assert!(!app.zoomed());
    press(&mut app, "z");
    press(&mut app, "esc");
    assert!(!app.zoomed(), "esc leaves zoom");
}

#[test]
fn freeze_keeps_rendering_the_snapshot_while_events_apply() {
    let envs = run_envelopes();
    let mut app = app_with(&envs[..6], &opts());
    press(&mut app, "f");
    assert!(app.is_frozen());
    for e in &envs[6..] {
        app.apply(e);
    }
    assert_eq!(
        app.state().outcome,
        Some(flightdeck::core::event::Outcome::Go),
        "live state moves on"
    );
    let screen = text(&render(&app, 120, 32));
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("FROZEN"), "{header}");
    assert!(
        header.contains("RUNNING") && !header.contains("| GO |"),
        "{header}"
    );
    assert!(
        !screen.contains("cache"),
        "frozen view must not show later health checks:\n{screen}"
    );
    press(&mut app, "f");
    let screen = text(&render(&app, 120, 32));
    assert!(screen.contains("cache") && screen.lines().next().unwrap_or_default().contains("GO"));
}

#[test]
fn filter_narrows_stage_rows_and_esc_clears() {
    let mut app = app_with(&run_envelopes(), &opts());
    assert_eq!(app.visible_stages().len(), 2);
    press(&mut app, "/");
    for c in "GAT".chars() {
        press(&mut app, &c.to_string());
    }
    let ids: Vec<&str> = app
        .visible_stages()
        .iter()
        .map(|s| s.plan.id.as_str())
        .collect();
    assert_eq!(ids, ["gate"]);
    press(&mut app, "enter");
    assert_eq!(app.visible_stages().len(), 1, "enter keeps the filter");
    let screen = text(&render(&app, 120, 32));
    assert!(screen.contains("/GAT"), "title shows the filter:\n{screen}");
    press(&mut app, "esc");
    assert_eq!(app.visible_stages().len(), 2, "esc clears the filter");
}

#[test]
fn filter_narrows_environment_rows() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "2");
    press(&mut app, "/");
    press(&mut app, "d");
    press(&mut app, "b");
    let names: Vec<&str> = app
        .visible_health()
        .iter()
        .map(|h| h.endpoint.as_str())
        .collect();
    assert_eq!(names, ["db"]);
    press(&mut app, "esc");
    assert_eq!(app.visible_health().len(), 3);
}

#[test]
fn theme_command_switches_live_and_unknown_theme_lists_known() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, ":");
    type_line(&mut app, "theme mono");
    assert_eq!(app.theme().name, "mono");
    press(&mut app, ":");
    type_line(&mut app, "theme neon");
    let status = app.status().expect("status");
    assert!(status.error);
    assert!(
        status
            .text
            .contains("known: default, light, mono, high-contrast"),
        "{}",
        status.text
    );
    assert_eq!(app.theme().name, "mono");
}

#[test]
fn rerun_command_emits_rerun_stage() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, ":");
    let effects = type_line(&mut app, "rerun env");
    assert_eq!(
        effects,
        [Effect::Send(Command::RerunStage {
            stage: "env".into()
        })]
    );
}

#[test]
fn rerun_unknown_stage_lists_stage_ids() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, ":");
    let effects = type_line(&mut app, "rerun nope");
    assert!(effects.is_empty());
    let status = app.status().expect("status");
    assert!(
        status.error
            && status
                .text
                .contains("unknown stage `nope` (stages: env, gate)"),
        "{status:?}"
    );
}

#[test]
fn rerun_is_refused_in_read_only_and_replay() {
    for o in [
        UiOptions {
            read_only: true,
            ..opts()
        },
        UiOptions {
            replay: true,
            ..opts()
        },
    ] {
        let mut app = app_with(&run_envelopes(), &o);
        press(&mut app, ":");
        assert!(type_line(&mut app, "rerun env").is_empty());
        assert!(app.status().is_some_and(|s| s.error), "{o:?}");
        assert!(press(&mut app, "r").is_empty());
    }
}

#[test]
fn rerun_key_reruns_the_selected_stage() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "down");
    let effects = press(&mut app, "r");
    assert_eq!(
        effects,
        [Effect::Send(Command::RerunStage {
            stage: "gate".into()
        })]
    );
}

#[test]
fn quit_during_a_run_asks_and_n_cancels() {
    let mut app = app_with(&in_progress_envelopes(), &opts());
    assert!(press(&mut app, "q").is_empty());
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmQuit { yes_focused: false })
    );
    assert!(press(&mut app, "n").is_empty());
    assert_eq!(app.overlay(), None);
    press(&mut app, "q");
    assert!(
        press(&mut app, "enter").is_empty(),
        "enter picks the focused No"
    );
    assert_eq!(app.overlay(), None);
}

#[test]
fn quit_during_a_run_with_yes_aborts_then_quits() {
    let mut app = app_with(&in_progress_envelopes(), &opts());
    press(&mut app, "q");
    let effects = press(&mut app, "y");
    assert_eq!(
        effects,
        [
            Effect::Send(Command::Abort {
                reason: "operator quit".into()
            }),
            Effect::Quit
        ]
    );
}

#[test]
fn quit_when_finished_quits_at_once() {
    let mut app = app_with(&run_envelopes(), &opts());
    assert_eq!(press(&mut app, "q"), [Effect::Quit]);
    let mut app = app_with(&run_envelopes(), &opts());
    assert_eq!(press(&mut app, "ctrl-c"), [Effect::Quit]);
    let mut app = app_with(
        &in_progress_envelopes(),
        &UiOptions {
            replay: true,
            ..opts()
        },
    );
    assert_eq!(
        press(&mut app, "q"),
        [Effect::Quit],
        "a replay has nothing to abort"
    );
}

#[test]
fn rollback_and_promote_say_there_is_no_canary() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "R");
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no active canary to roll back")
    );
    press(&mut app, "P");
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no active canary to promote")
    );
}

#[test]
fn rollback_in_read_only_says_why_it_is_disabled() {
    let mut app = app_with(
        &run_envelopes(),
        &UiOptions {
            read_only: true,
            ..opts()
        },
    );
    assert!(press(&mut app, "R").is_empty());
    let status = app.status().expect("status");
    assert!(
        status.error
            && status.text == "rollback disabled: read-only run (started with --read-only)",
        "{status:?}"
    );
}

#[test]
fn run_level_read_only_counts_too() {
    let mut envs = run_envelopes();
    if let Event::RunStarted { read_only, .. } = &mut envs[0].event {
        *read_only = true;
    }
    let mut app = app_with(&envs, &opts());
    assert!(app.read_only());
    press(&mut app, "P");
    assert!(app.status().is_some_and(
        |s| s.text == "promote disabled: read-only run (the run was started read-only)"
    ));
}

#[test]
fn help_overlay_lists_every_binding_of_the_live_keymap() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "?");
    assert!(matches!(app.overlay(), Some(Overlay::Help { .. })));
    let screen = text(&render(&app, 120, 40));
    let keymap = Keymap::builtin().expect("builtin");
    for (key, action) in keymap.bindings(false) {
        let row = screen
            .lines()
            .find(|l| l.contains(action.description()))
            .unwrap_or_else(|| panic!("help lacks {}:\n{screen}", action.name()));
        assert!(
            row.contains(&key.to_string()),
            "help row for {} lacks key {key}: {row}",
            action.name()
        );
        assert!(row.contains(&format!(" {} ", action.name())), "{row}");
    }
    press(&mut app, "esc");
    assert_eq!(app.overlay(), None);
}

#[test]
fn help_rows_follow_a_user_keymap_and_read_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, "x = \"zoom\"\n").expect("write");
    let keymap = Keymap::load(Some(&path)).expect("loads");
    let rows = help_rows(&keymap, false);
    let zoom = rows
        .iter()
        .find(|(_, a, _)| *a == "zoom")
        .expect("zoom row");
    assert!(zoom.0.contains('x') && zoom.0.contains('z'), "{zoom:?}");
    let ro = help_rows(&keymap, true);
    assert!(
        ro.iter()
            .all(|(_, a, _)| !["rollback", "promote", "rerun"].contains(a))
    );
    assert!(rows.iter().any(|(_, a, _)| *a == "rollback"));

    let o = UiOptions {
        keymap: Some(path),
        ..opts()
    };
    let mut app = app_with(&run_envelopes(), &o);
    press(&mut app, "x");
    assert!(app.zoomed(), "the user binding works");
}

#[test]
fn invalid_options_fail_before_the_terminal_with_file_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, "w = \"warp\"\n").expect("write");
    let o = UiOptions {
        keymap: Some(path),
        ..opts()
    };
    let err = flightdeck::ui::validate_options(&o)
        .expect_err("bad keymap")
        .to_string();
    assert!(
        err.contains("keys.toml: key `w`: unknown action `warp` (valid actions: quit"),
        "{err}"
    );
    let o = UiOptions {
        theme: "neon".into(),
        ..opts()
    };
    assert!(flightdeck::ui::validate_options(&o).is_err());
    assert!(flightdeck::ui::validate_options(&opts()).is_ok());
}

#[test]
fn stage_selection_and_detail_overlay() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "j");
    press(&mut app, "j");
    assert_eq!(
        app.selected(Pane::Stages),
        Some(1),
        "selection stops at the last row"
    );
    press(&mut app, "k");
    press(&mut app, "enter");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::StageDetail {
            stage: "env".into()
        })
    );
    press(&mut app, "esc");
    assert_eq!(app.overlay(), None);
}

#[test]
fn unknown_palette_command_lists_commands() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, ":");
    type_line(&mut app, "launch");
    let s = app.status().expect("status");
    assert!(
        s.error
            && s.text
                .contains(":quit, :theme NAME, :rerun STAGE, :destroy, :apply, :help"),
        "{s:?}"
    );
}

fn release_app(o: &UiOptions) -> flightdeck::ui::App {
    let mut app = app_with(&release_envelopes(), o);
    app.now = t0() + chrono::Duration::seconds(38);
    app
}

fn first_rule(app: &flightdeck::ui::App) -> String {
    match app.visible_findings().first() {
        Some(FindingsRow::Finding(f)) => f.finding.rule_id.clone(),
        other => panic!("first row is not a finding: {other:?}"),
    }
}

#[test]
fn kill_key_stops_a_running_load() {
    let mut app = release_app(&opts());
    assert_eq!(press(&mut app, "K"), vec![Effect::Send(Command::StopLoad)]);
    // Read-only keeps it: stopping load is the safe direction.
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let mut app = release_app(&o);
    assert_eq!(press(&mut app, "K"), vec![Effect::Send(Command::StopLoad)]);
}

#[test]
fn kill_key_without_a_running_load_says_so() {
    let mut app = app_with(&run_envelopes(), &opts());
    assert!(press(&mut app, "K").is_empty());
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no load is running")
    );
    let mut app = app_with(&release_finished_envelopes(), &opts());
    assert!(press(&mut app, "K").is_empty());
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no load is running")
    );
}

#[test]
fn kill_key_is_unavailable_in_replay() {
    let o = UiOptions {
        replay: true,
        ..opts()
    };
    let mut app = release_app(&o);
    assert!(press(&mut app, "K").is_empty());
    let status = app.status().expect("status");
    assert!(status.error && status.text.contains("replay"), "{status:?}");
    let rows = help_rows(app.keymap(), app.limits());
    assert!(rows.iter().all(|(_, name, _)| *name != "kill_load"));
    let live = help_rows(app.keymap(), false);
    assert!(
        live.iter()
            .any(|(k, name, _)| *name == "kill_load" && k == "K")
    );
}

#[test]
fn plus_and_minus_change_the_chart_span() {
    let mut app = release_app(&opts());
    assert_eq!(app.chart_span(), 60);
    press(&mut app, "+");
    assert_eq!(app.chart_span(), 120);
    press(&mut app, "+");
    press(&mut app, "+");
    assert_eq!(app.chart_span(), 300, "stops at the widest");
    press(&mut app, "-");
    assert_eq!(app.chart_span(), 120);
    press(&mut app, "-");
    press(&mut app, "-");
    press(&mut app, "-");
    assert_eq!(app.chart_span(), 30, "stops at the narrowest");
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("span 30s"), "{screen}");
}

#[test]
fn sort_key_cycles_the_findings_order() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    assert_eq!(app.finding_sort(), FindingSort::Severity);
    assert_eq!(first_rule(&app), "CVE-2025-9999", "most severe first");
    press(&mut app, "s");
    assert_eq!(app.finding_sort(), FindingSort::Tool);
    assert_eq!(first_rule(&app), "B105", "Bandit sorts first by tool");
    press(&mut app, "s");
    assert_eq!(app.finding_sort(), FindingSort::Location);
    assert_eq!(
        first_rule(&app),
        "python.lang.eval",
        "app/rules.py sorts first"
    );
    press(&mut app, "s");
    assert_eq!(app.finding_sort(), FindingSort::Severity);
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("sort severity"), "{screen}");
}

#[test]
fn filter_narrows_findings_rows() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    let all = app.visible_findings().len();
    assert_eq!(all, 10, "8 findings and 2 policy results that did not pass");
    press(&mut app, "/");
    type_line(&mut app, "checkov");
    let rows = app.visible_findings();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("/checkov"), "{screen}");
    assert!(!screen.contains("CVE-2026-1234"), "{screen}");
    press(&mut app, "esc");
    assert_eq!(app.visible_findings().len(), all);
    press(&mut app, "/");
    type_line(&mut app, "latest");
    assert!(matches!(
        app.visible_findings().as_slice(),
        [FindingsRow::Policy(_)]
    ));
}

#[test]
fn enter_on_a_finding_opens_its_detail() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    press(&mut app, "down");
    press(&mut app, "enter");
    let fingerprint = app
        .state()
        .findings
        .iter()
        .find(|f| f.finding.rule_id == "CVE-2026-1234")
        .map(|f| f.finding.fingerprint.clone())
        .expect("fixture finding");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::FindingDetail {
            stage: "scans".into(),
            fingerprint: fingerprint.clone(),
        })
    );
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains(&fingerprint), "{screen}");
    press(&mut app, "esc");
    assert_eq!(app.overlay(), None);
}

#[test]
fn enter_on_a_policy_row_opens_the_policy_detail() {
    let mut app = release_app(&opts());
    press(&mut app, "5");
    for _ in 0..8 {
        press(&mut app, "down");
    }
    press(&mut app, "enter");
    assert!(
        matches!(app.overlay(), Some(Overlay::PolicyDetail { rule, .. }) if rule == "deny"),
        "{:?}",
        app.overlay()
    );
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("image tag `latest` is not pinned for api"),
        "{screen}"
    );
}

#[test]
fn freeze_keeps_the_load_chart_while_windows_arrive() {
    let mut app = release_app(&opts());
    press(&mut app, "3");
    press(&mut app, "z");
    let before = text(&render(&app, 120, 40));
    press(&mut app, "f");
    let mut seq = 1000;
    for i in 31..=36 {
        seq += 1;
        app.apply(&envelope(seq, 7 + i64::from(i), load_window_event(i)));
    }
    assert_eq!(app.state().load.as_ref().map(|l| l.windows.len()), Some(36));
    assert_eq!(app.view().load.as_ref().map(|l| l.windows.len()), Some(30));
    let frozen = text(&render(&app, 120, 40));
    let body = |s: &str| s.lines().skip(1).take(38).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&frozen), body(&before), "the chart did not move");
    press(&mut app, "f");
    let live = text(&render(&app, 120, 40));
    assert!(live.contains("0:36/1:00"), "{live}");
    assert_ne!(body(&live), body(&before));
}

// --- Canary: R rolls back at once, P promotes after a confirmation ---

fn rollback_cmd() -> Effect {
    Effect::Send(Command::Rollback {
        reason: "operator key R".into(),
    })
}

#[test]
fn rollback_key_sends_at_once_from_every_pane_without_a_dialog() {
    for pane in ["1", "2", "3", "4", "5", "6"] {
        let mut app = canary_app(&canary_envelopes(), &opts());
        press(&mut app, pane);
        let effects = press(&mut app, "R");
        assert_eq!(effects, [rollback_cmd()], "from pane {pane}");
        assert_eq!(app.overlay(), None, "no dialog from pane {pane}");
        let status = app.status().expect("status");
        assert!(
            !status.error && status.text.contains("rollback of `checkout-v2` requested"),
            "{status:?}"
        );
    }
}

#[test]
fn rollback_key_also_works_while_zoomed_frozen_or_in_help() {
    let mut app = canary_app(&canary_envelopes(), &opts());
    press(&mut app, "5");
    press(&mut app, "z");
    press(&mut app, "f");
    assert_eq!(press(&mut app, "R"), [rollback_cmd()]);
    press(&mut app, "?");
    assert!(matches!(app.overlay(), Some(Overlay::Help { .. })));
    assert_eq!(press(&mut app, "R"), [rollback_cmd()]);
    assert_eq!(app.overlay(), None, "help closes so the pane shows PENDING");
}

#[test]
fn rollback_key_in_read_only_sends_nothing_and_says_why() {
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let mut app = canary_app(&canary_envelopes(), &o);
    press(&mut app, "4");
    assert!(press(&mut app, "R").is_empty());
    let status = app.status().expect("status");
    assert!(status.error, "{status:?}");
    assert_eq!(
        status.text,
        "rollback disabled: read-only run (started with --read-only)"
    );
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("promote disabled: read-only run (started with --read-only)")
    );
    assert_eq!(app.overlay(), None);
}

#[test]
fn rollback_key_in_replay_sends_nothing() {
    let o = UiOptions {
        replay: true,
        ..opts()
    };
    let mut app = canary_app(&canary_envelopes(), &o);
    assert!(press(&mut app, "R").is_empty());
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(app.overlay(), None);
    let status = app.status().expect("status");
    assert!(
        status.error && status.text.contains("replay: promote is unavailable"),
        "{status:?}"
    );
}

#[test]
fn rollback_without_an_engine_says_so() {
    let state = flightdeck::core::state::RunState::from_envelopes(&canary_envelopes());
    let mut app = flightdeck::ui::App::with_no_color(&opts(), state, false, false).expect("app");
    assert!(press(&mut app, "R").is_empty());
    assert!(
        app.status()
            .is_some_and(|s| s.error && s.text.contains("no engine attached")),
        "{:?}",
        app.status()
    );
}

#[test]
fn rollback_confirm_option_asks_first_with_focus_on_roll_back() {
    let o = UiOptions {
        rollback_confirm: true,
        ..opts()
    };
    let mut app = canary_app(&canary_envelopes(), &o);
    assert!(press(&mut app, "R").is_empty(), "asks first");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmRollback { yes_focused: true })
    );
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("Roll back checkout-v2 to 0% now? [Y/n]")
            && screen.contains("[ Roll back ]"),
        "{screen}"
    );
    assert_eq!(press(&mut app, "y"), [rollback_cmd()]);
    assert_eq!(app.overlay(), None);

    press(&mut app, "R");
    assert_eq!(
        press(&mut app, "enter"),
        [rollback_cmd()],
        "enter picks Roll back"
    );

    press(&mut app, "R");
    assert!(press(&mut app, "n").is_empty());
    assert_eq!(app.overlay(), None);
    press(&mut app, "R");
    assert!(press(&mut app, "esc").is_empty());
    assert_eq!(app.overlay(), None);
}

#[test]
fn promote_asks_with_focus_on_no_and_y_sends() {
    let mut app = canary_app(&canary_envelopes(), &opts());
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmPromote { yes_focused: false })
    );
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("Promote checkout-v2 to 100%? [y/N]") && screen.contains("[ No ]"),
        "{screen}"
    );
    assert!(press(&mut app, "n").is_empty(), "n cancels");
    assert_eq!(app.overlay(), None);

    press(&mut app, "P");
    assert!(
        press(&mut app, "enter").is_empty(),
        "enter picks the focused No"
    );
    assert_eq!(app.overlay(), None);

    press(&mut app, "P");
    press(&mut app, "left");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmPromote { yes_focused: true })
    );
    press(&mut app, "right");
    assert!(
        press(&mut app, "R").is_empty(),
        "other keys do nothing in the dialog"
    );
    assert_eq!(press(&mut app, "y"), [Effect::Send(Command::Promote)]);
    assert_eq!(app.overlay(), None);
}

#[test]
fn promote_is_refused_while_a_rollback_is_pending_or_after_it() {
    let mut envs = canary_envelopes();
    let n = envs.len() as u64;
    envs.push(rollback_requested_envelope(n + 1));
    let mut app = canary_app(&envs, &opts());
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(app.overlay(), None);
    assert!(
        app.status()
            .is_some_and(|s| s.error && s.text.contains("rollback of `checkout-v2` is pending")),
        "{:?}",
        app.status()
    );
    let mut app = canary_app(&canary_rolled_back_envelopes(), &opts());
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(app.overlay(), None);
    assert!(
        app.status().is_some_and(|s| s.text.contains("is not live")),
        "{:?}",
        app.status()
    );
}

fn canary_pane(app: &flightdeck::ui::App) -> String {
    text(&render(app, 120, 40))
}

#[test]
fn pane_shows_pending_then_confirmed_with_the_time_it_took() {
    let envs = canary_envelopes();
    let n = envs.len() as u64;
    let mut app = canary_app(&envs, &opts());
    press(&mut app, "4");
    press(&mut app, "z");
    assert_eq!(press(&mut app, "R"), [rollback_cmd()]);
    let screen = canary_pane(&app);
    assert!(
        !screen.contains("ROLLBACK PENDING"),
        "nothing before the engine journals it"
    );

    app.apply(&rollback_requested_envelope(n + 1));
    let screen = canary_pane(&app);
    assert!(screen.contains("ROLLBACK PENDING..."), "{screen}");
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("ROLLBACK"), "{header}");

    app.apply(&rollback_confirmed_envelope(n + 2));
    let screen = canary_pane(&app);
    assert!(!screen.contains("PENDING"), "{screen}");
    assert!(
        screen.contains("ROLLED BACK (confirmed in 1.5 ms by sam: operator key R)"),
        "{screen}"
    );
    assert!(screen.contains("flag checkout-v2 0% -> canary"), "{screen}");
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        !header.contains("ROLLBACK") && !header.contains("canary 25%"),
        "{header}"
    );
}

#[test]
fn pane_shows_failed_rollback_with_retry_hint_and_r_retries() {
    let envs = canary_envelopes();
    let n = envs.len() as u64;
    let mut app = canary_app(&envs, &opts());
    press(&mut app, "4");
    press(&mut app, "z");
    app.apply(&rollback_requested_envelope(n + 1));
    app.apply(&rollback_failed_envelope(n + 2));
    let screen = canary_pane(&app);
    assert!(
        screen.contains("ROLLBACK FAILED: flag file is read-only — press R to retry"),
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("ROLLBACK FAILED"),
        "{screen}"
    );
    assert_eq!(press(&mut app, "R"), [rollback_cmd()], "R retries");
}

#[test]
fn header_shows_the_canary_share_while_it_is_live() {
    let app = canary_app(&canary_envelopes(), &opts());
    let screen = text(&render(&app, 140, 40));
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("canary 25%"), "{header}");
}

#[test]
fn planned_canary_before_it_starts_says_waiting() {
    let envs: Vec<_> = canary_envelopes().into_iter().take(2).collect();
    let mut app = canary_app(&envs, &opts());
    press(&mut app, "4");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("canary stage planned: waiting for the canary to start."),
        "{screen}"
    );
    assert_eq!(
        press(&mut app, "R"),
        Vec::<Effect>::new(),
        "no canary yet: nothing to roll back"
    );
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no active canary to roll back")
    );
}

#[test]
fn enter_on_environment_opens_the_iac_detail_and_esc_closes_it() {
    let mut app = app_with(&iac_envelopes(), &opts());
    press(&mut app, "2");
    assert_eq!(app.focus(), Pane::Environment);
    press(&mut app, "enter");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::IacDetail {
            stage: "env".into(),
            scroll: 0
        })
    );
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("output.service.log_level: debug vs info"),
        "{screen}"
    );
    press(&mut app, "down");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::IacDetail {
            stage: "env".into(),
            scroll: 1
        })
    );
    press(&mut app, "esc");
    assert_eq!(app.overlay(), None);
    assert_eq!(app.focus(), Pane::Environment);
}

#[test]
fn enter_on_environment_without_iac_opens_nothing() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "2");
    press(&mut app, "enter");
    assert_eq!(app.overlay(), None);
}

#[test]
fn iac_teardown_log_shows_the_environment_destroyed() {
    let mut envs = iac_envelopes();
    let n = envs.len() as u64;
    envs.push(envelope(
        n + 1,
        44,
        Event::Log {
            level: flightdeck::core::event::LogLevel::Info,
            stage: Some("env".into()),
            message: "teardown: destroyed".into(),
        },
    ));
    let mut app = app_with(&envs, &opts());
    press(&mut app, "2");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("ephemeral: destroyed at end of run"),
        "{screen}"
    );
    assert!(!screen.contains("TTL:"), "{screen}");
}

#[test]
fn destroy_command_asks_the_engine_only_when_there_is_an_environment_to_destroy() {
    let mut app = app_with(&iac_envelopes(), &opts());
    press(&mut app, ":");
    let effects = type_line(&mut app, "destroy");
    assert_eq!(effects, [Effect::Send(Command::DestroyEnvironment)]);

    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, ":");
    assert!(type_line(&mut app, "destroy").is_empty());
    let status = app.status().expect("status");
    assert!(
        status.error && status.text.contains("nothing to destroy"),
        "{status:?}"
    );

    let ro = UiOptions {
        read_only: true,
        ..opts()
    };
    let mut app = app_with(&iac_envelopes(), &ro);
    press(&mut app, ":");
    assert!(
        type_line(&mut app, "destroy").is_empty(),
        "read-only sends nothing"
    );
}
