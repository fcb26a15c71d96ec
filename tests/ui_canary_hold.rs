//! The Canary pane and keys around an automatic rollback: the countdown,
//! the hold (snapshots at 80x24 and 120x40), `H` toggling it, promote
//! refused during the countdown and asking for an override while held, and
//! read-only removing the hold key.

mod ui_support;

use flightdeck::core::command::Command;
use flightdeck::ui::theme::Item;
use flightdeck::ui::{Effect, Theme, UiOptions};
use ui_support::*;

const HELD: &str = "AUTO-ROLLBACK HELD by sam — R rolls back, H releases";

fn zoomed(held: bool, o: &UiOptions) -> flightdeck::ui::App {
    let mut app = canary_app(&canary_auto_envelopes(held), o);
    press(&mut app, "4");
    press(&mut app, "z");
    app
}

#[test]
fn held_rollback_120x40() {
    let app = zoomed(true, &opts());
    let buf = render(&app, 120, 40);
    let screen = text(&buf);
    insta::assert_snapshot!("canary_held_120x40", screen);
    for part in [
        HELD,
        "hold ends in 9:59, then it rolls back; live guard at step 2 (25%): second 6",
        "guard: TRIPPED after 3 breaching windows",
        "5% ✓  25% ●  50% ·  100% ·",
        "H release",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    let theme = Theme::load("default", None).expect("default theme");
    let (x, y) = find(&buf, "AUTO-ROLLBACK HELD").expect("held line");
    assert_eq!(Some(buf[(x, y)].fg), theme.style(Item::Warn).fg);
}

#[test]
fn held_rollback_compact_80x24() {
    let o = UiOptions {
        theme: "mono".into(),
        ..opts()
    };
    let mut app = canary_app(&canary_auto_envelopes(true), &o);
    press(&mut app, "4");
    let screen = text(&render(&app, 80, 24));
    insta::assert_snapshot!("canary_held_80x24_mono", screen);
    assert!(screen.contains(HELD), "{screen}");
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "overflow: {line}");
    }
}

#[test]
fn countdown_shows_the_seconds_left_and_the_keys() {
    let app = zoomed(false, &opts());
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("AUTO-ROLLBACK in 1s — H holds, R rolls back now"),
        "{screen}"
    );
    assert!(
        screen.contains("H hold"),
        "the hint bar offers the hold: {screen}"
    );
    let o = UiOptions {
        ascii: true,
        ..opts()
    };
    let screen = text(&render(&zoomed(false, &o), 120, 40));
    assert!(
        screen.contains("AUTO-ROLLBACK in 1s - H holds, R rolls back now"),
        "{screen}"
    );
}

#[test]
fn h_holds_a_countdown_and_releases_a_hold() {
    let mut app = zoomed(false, &opts());
    let effects = press(&mut app, "H");
    assert_eq!(
        effects,
        [Effect::Send(Command::Hold {
            reason: "operator key H".into()
        })]
    );
    let mut app = zoomed(true, &opts());
    let effects = press(&mut app, "H");
    assert_eq!(
        effects,
        [Effect::Send(Command::Release {
            reason: "operator key H".into()
        })]
    );
}

#[test]
fn h_with_nothing_pending_says_so() {
    let mut app = canary_app(&canary_envelopes(), &opts());
    assert!(press(&mut app, "H").is_empty());
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("nothing to hold: no automatic rollback is pending"),
        "{screen}"
    );
}

#[test]
fn promote_is_refused_while_counting_and_an_override_while_held() {
    let mut app = zoomed(false, &opts());
    assert!(press(&mut app, "P").is_empty());
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("hold it first (H) to override the judge"),
        "{screen}"
    );
    let mut app = zoomed(true, &opts());
    assert!(press(&mut app, "P").is_empty(), "asks first");
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("[Override the judge?]"), "{screen}");
    assert!(
        screen.contains("Promote checkout-v2 to 100% over the held automatic rollback?"),
        "{screen}"
    );
    assert_eq!(press(&mut app, "y"), [Effect::Send(Command::Promote)]);
}

#[test]
fn read_only_removes_the_hold_key() {
    let o = UiOptions {
        read_only: true,
        ..opts()
    };
    let mut app = zoomed(false, &o);
    assert!(press(&mut app, "H").is_empty());
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("hold disabled: read-only run"), "{screen}");
    assert!(!screen.contains("H holds"), "{screen}");
}
