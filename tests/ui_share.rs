//! The control room shared: the owner's header shows who is attached (name
//! and role), the grant key asks before giving a viewer control, an
//! attached viewer's keys that change things are refused with "read-only:
//! ask the operator for control", a granted one's go out as commands, and
//! quitting an attached session only detaches.

mod ui_support;

use flightdeck::core::actor::{Actor, NameSource, Via};
use flightdeck::core::command::Command;
use flightdeck::core::event::Event;
use flightdeck::core::share::{Peer, Role, RoleSource};
use flightdeck::ui::{Effect, Overlay, UiOptions};
use ui_support::*;

fn peer(id: u64, name: &str, uid: u32, role: Role, ssh: bool) -> Peer {
    Peer {
        id,
        actor: Actor {
            name: name.into(),
            uid: Some(uid),
            via: if ssh {
                Via::Ssh {
                    client: "203.0.113.9".into(),
                    port: Some(52311),
                }
            } else {
                Via::Local
            },
            named_by: Some(NameSource::Account),
        },
        pid: Some(4242),
        role,
        because: if role == Role::Operator {
            RoleSource::Config
        } else {
            RoleSource::Default
        },
    }
}

/// The live canary with bob (a viewer over SSH) and carol (an operator)
/// attached.
fn shared_envelopes() -> Vec<flightdeck::core::event::Envelope> {
    let mut out = canary_envelopes();
    let mut seq = out.len() as u64;
    for p in [
        peer(1, "bob", 1001, Role::Viewer, true),
        peer(2, "carol", 1002, Role::Operator, false),
    ] {
        seq += 1;
        out.push(envelope(seq, 17, Event::PeerJoined { peer: p }));
    }
    out
}

fn attached(id: u64) -> UiOptions {
    UiOptions {
        attached: Some(id),
        ..opts()
    }
}

#[test]
fn the_owner_sees_who_is_attached_and_grants_control_after_a_question() {
    let mut app = canary_app(&shared_envelopes(), &opts());
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("owner_with_two_attached_120x40", screen);
    let header = screen.lines().next().expect("header");
    assert!(header.contains("| attached 2 |"), "{header}");
    let wide = text(&render(&app, 160, 40));
    let header = wide.lines().next().expect("header");
    assert!(
        header.contains("attached: bob (viewer), carol (operator)"),
        "with room, the names and roles: {header}"
    );
    assert!(press(&mut app, "G").is_empty());
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmGrant {
            peer: 1,
            yes_focused: false
        })
    );
    let dialog = text(&render(&app, 120, 40));
    insta::assert_snapshot!("grant_dialog_120x40", dialog);
    assert!(
        dialog.contains("Give bob (uid 1001, ssh from 203.0.113.9) the operator role?"),
        "{dialog}"
    );
    // Enter on the focused No answers no; y gives control.
    assert!(press(&mut app, "enter").is_empty());
    assert_eq!(app.overlay(), None);
    press(&mut app, "G");
    assert_eq!(
        press(&mut app, "y"),
        vec![Effect::Send(Command::Grant { peer: 1 })]
    );
}

#[test]
fn with_nobody_to_grant_the_key_says_so() {
    let mut app = canary_app(&canary_envelopes(), &opts());
    assert!(press(&mut app, "G").is_empty());
    assert_eq!(app.overlay(), None);
    assert!(
        app.status()
            .is_some_and(|s| s.text.starts_with("nobody attached is a viewer")),
        "{:?}",
        app.status()
    );
}

#[test]
fn an_attached_viewer_reads_and_is_told_to_ask_for_control_until_granted() {
    let mut envs = shared_envelopes();
    let mut app = canary_app(&envs, &attached(1));
    assert!(app.read_only());
    let effects = press(&mut app, "R");
    assert!(effects.is_empty(), "{effects:?}");
    let status = app.status().expect("status");
    assert!(status.error);
    assert_eq!(
        status.text,
        "read-only: ask the operator for control: rollback needs the operator role"
    );
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("viewer_refused_120x40", screen);
    assert!(screen.contains("attached 2, you viewer"), "{screen}");
    let wide = text(&render(&app, 180, 40));
    assert!(
        wide.contains("attached: bob (viewer you), carol (operator)"),
        "{wide}"
    );
    assert!(screen.contains("| RO |"), "{screen}");
    // Quitting only detaches: no abort of someone else's run.
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);

    // The owner grants control: the same session now rolls back.
    let seq = envs.len() as u64 + 1;
    envs.push(envelope(
        seq,
        18,
        Event::RoleGranted {
            id: 1,
            name: "bob".into(),
            role: Role::Operator,
            by: Actor::from("sam"),
        },
    ));
    let mut app = canary_app(&envs, &attached(1));
    assert!(!app.read_only());
    assert_eq!(
        press(&mut app, "R"),
        vec![Effect::Send(Command::Rollback {
            reason: "operator key R".into()
        })]
    );
    assert!(press(&mut app, "G").is_empty());
    assert!(
        app.status()
            .is_some_and(|s| s.text.starts_with("only the run's owner gives control")),
        "{:?}",
        app.status()
    );
}

/// The run waits for security (alice) and release-manager (bob).
fn awaiting_envelopes() -> Vec<flightdeck::core::event::Envelope> {
    use flightdeck::core::signoff::SignoffNeed;
    let mut out = shared_envelopes();
    let seq = out.len() as u64 + 1;
    let need = |role: &str, who: &str| SignoffNeed {
        role: role.into(),
        who: vec![who.into()],
        required: true,
        self_approval: true,
        signature: false,
    };
    out.push(envelope(
        seq,
        18,
        Event::SignoffRequested {
            needed: vec![need("security", "alice"), need("release-manager", "bob")],
            score: 96.0,
            rationale: "score 96 >= pass threshold 90".into(),
            timeout_s: 1800,
            deadline: t0() + chrono::Duration::seconds(1818),
        },
    ));
    out
}

#[test]
fn the_signoff_dialog_sends_the_choice_with_the_report_hash_the_same_when_attached() {
    use flightdeck::core::signoff::SignoffDecision;
    for o in [opts(), attached(1)] {
        let mut app = canary_app(&awaiting_envelopes(), &o);
        let header = text(&render(&app, 180, 40));
        let header = header.lines().next().expect("header");
        assert!(header.contains("AWAITING SIGN-OFF"), "{header}");
        assert!(
            header.contains("sign-off needed: security (alice); release-manager (bob) (S)"),
            "{header}"
        );
        assert!(press(&mut app, "S").is_empty());
        if o.attached.is_none() {
            let screen = text(&render(&app, 120, 40));
            insta::assert_snapshot!("signoff_dialog_120x40", screen);
            assert!(screen.contains("[Sign off: security]"), "{screen}");
            assert!(screen.contains("Still needed: security (alice); release-manager (bob)"));
        }
        press(&mut app, "down");
        press(&mut app, "tab");
        // A rejection needs a comment.
        assert!(press(&mut app, "enter").is_empty());
        assert!(
            app.status()
                .is_some_and(|s| s.text.starts_with("a rejection needs a comment"))
        );
        for c in "not ready".chars() {
            press(&mut app, &c.to_string());
        }
        let sha = flightdeck::report::report_sha256(app.state());
        let seen = app.state().events_applied;
        assert_eq!(
            press(&mut app, "enter"),
            vec![Effect::Send(Command::Signoff {
                role: "release-manager".into(),
                decision: SignoffDecision::Reject,
                comment: "not ready".into(),
                report_sha256: sha,
                seen_seq: seen,
                signature: None,
            })]
        );
        assert_eq!(app.overlay(), None);
    }
}
