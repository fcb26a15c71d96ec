//! The apply approval in the control room: the dialog opens by itself when
//! the IaC stage asks (focus on No), `y`/`n`/Enter answer through the
//! engine's command channel, Esc hides it and `:apply` brings it back, `d`
//! shows the plan, read-only refuses; the Environment pane says what waits.

mod ui_support;

use flightdeck::core::command::Command;
use flightdeck::iac::approval::ApprovalDecision;
use flightdeck::ui::{Effect, Overlay, UiOptions};
use ui_support::*;

fn asked() -> flightdeck::ui::App {
    app_with(&approval_envelopes(), &opts())
}

fn answer(approve: bool) -> Vec<Effect> {
    vec![Effect::Send(Command::AnswerApply {
        approve,
        reason: Some("operator dialog".into()),
    })]
}

#[test]
fn the_dialog_opens_by_itself_with_no_focused_120x40() {
    let app = asked();
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmApply { yes_focused: false })
    );
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("apply_dialog_120x40", screen);
    for part in [
        "[Apply plan?]",
        "Apply the saved plan to preprod-eu (stage env)? [y/N]",
        "/srv/preprod-eu/flightdeck.tfplan (terraform)",
        "+1 create  ~1 update  -1 delete  ±2 replace",
        "DESTRUCTIVE  -/+ aws_db_instance.main",
        "RISK HIGH",
        "waits 9m32s more",
        "[ No ]",
        "y apply  n decline  d plan  esc hide (:apply)",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn the_dialog_fits_80x24_and_keeps_its_buttons() {
    let app = asked();
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    insta::assert_snapshot!("apply_dialog_80x24", screen);
    for part in ["[Apply plan?]", "DESTRUCTIVE", "Yes, apply", "[ No ]"] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    let (x, y) = find(&buf, "DESTRUCTIVE").expect("destructive line");
    let theme = flightdeck::ui::Theme::resolve(
        "default",
        None,
        flightdeck::config::ColorMode::Truecolor,
        false,
    )
    .expect("theme");
    assert_eq!(
        buf[(x, y)].fg,
        theme
            .style(flightdeck::ui::theme::Item::Fail)
            .fg
            .unwrap_or_default(),
        "destructive changes carry the failure colour"
    );
}

#[test]
fn y_approves_n_declines_and_enter_answers_the_focused_button() {
    let mut app = asked();
    assert_eq!(press(&mut app, "y"), answer(true));
    assert_eq!(app.overlay(), None);

    let mut app = asked();
    assert_eq!(press(&mut app, "n"), answer(false));

    let mut app = asked();
    assert_eq!(
        press(&mut app, "enter"),
        answer(false),
        "focus starts on No"
    );

    let mut app = asked();
    assert!(press(&mut app, "tab").is_empty());
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmApply { yes_focused: true })
    );
    assert_eq!(press(&mut app, "enter"), answer(true));
}

#[test]
fn esc_hides_the_question_the_pane_says_what_waits_and_apply_reopens_it() {
    let mut app = asked();
    assert!(press(&mut app, "esc").is_empty());
    assert_eq!(app.overlay(), None);
    assert!(
        app.status()
            .is_some_and(|s| s.text.contains(":apply to answer")),
        "{:?}",
        app.status()
    );
    press(&mut app, "2");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("apply_waiting_env_zoomed_120x40", screen);
    for part in [
        "awaiting approval: +1 ~1 -1 ±2 — press y in the dialog (:apply), 9m32s left",
        "DESTRUCTIVE: - aws_s3_bucket.old_logs, -/+ aws_db_instance.main, -/+ aws_lb.front",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    // A later event does not reopen a hidden question...
    app.apply(&envelope(
        5,
        31,
        flightdeck::core::event::Event::Log {
            level: flightdeck::core::event::LogLevel::Info,
            stage: Some("env".into()),
            message: "still waiting".into(),
        },
    ));
    assert_eq!(app.overlay(), None);
    // ...the palette does.
    type_line(&mut app, ":apply");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmApply { yes_focused: false })
    );
}

#[test]
fn d_shows_the_plan_and_closing_it_returns_to_the_question() {
    let mut app = asked();
    press(&mut app, "d");
    assert!(matches!(app.overlay(), Some(Overlay::IacDetail { .. })));
    let screen = text(&render(&app, 120, 40));
    for part in [
        "[IaC env: terraform plan]",
        "awaiting approval to apply /srv/preprod-eu/flightdeck.tfplan",
        "aws_db_instance.main",
        "replace_because_cannot_update",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    press(&mut app, "esc");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmApply { yes_focused: false })
    );
}

#[test]
fn the_end_of_the_request_closes_the_dialog_and_says_how_it_ended() {
    let mut app = asked();
    app.apply(&approval_resolved_envelope(
        5,
        ApprovalDecision::TimedOut { after_s: 600 },
    ));
    assert_eq!(app.overlay(), None);
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("apply request ended: no answer within 10m")
    );
    press(&mut app, "2");
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("apply not run: no answer within 10m"),
        "{screen}"
    );
    type_line(&mut app, ":apply");
    assert_eq!(app.overlay(), None);
    assert_eq!(
        app.status().map(|s| s.text.as_str()),
        Some("no apply awaits approval")
    );
}

#[test]
fn read_only_never_asks_and_refuses_to_answer() {
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let mut app = app_with(&approval_envelopes(), &o);
    assert_eq!(app.overlay(), None, "read-only: no question");
    assert!(type_line(&mut app, ":apply").is_empty());
    let s = app.status().expect("status");
    assert!(s.error, "{s:?}");
    assert_eq!(
        s.text,
        "apply approval disabled: read-only run (started with --read-only)"
    );
}

#[test]
fn replay_shows_the_question_but_never_opens_it() {
    let o = UiOptions {
        replay: true,
        ..opts()
    };
    let app = app_with(&approval_envelopes(), &o);
    assert_eq!(app.overlay(), None);
}
