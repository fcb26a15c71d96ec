//! The sign-offs section of `report.html`: each role the gate asked for,
//! who signed it (account, uid, how identified), the decision and comment,
//! the report and journal position they saw, and any SSH signature.

use crate::core::actor::Via;
use crate::core::signoff::SignoffDecision;
use crate::report::Report;
use crate::report::html::markup::{Table, badge, esc, para, section};

/// The sign-offs, or a line saying none were asked for.
pub fn signoffs(r: &Report) -> String {
    let Some(v) = &r.signoffs else {
        return section(
            "signoffs",
            "Sign-offs",
            &para("empty", "No sign-off was asked for."),
        );
    };
    let mut body = para(
        "",
        &format!(
            "The gate reached GO (score {}) at {} and asked for sign-offs until {}.",
            crate::core::format::trim_num(v.score),
            v.requested_at.format("%H:%M:%S UTC"),
            v.deadline.format("%H:%M:%S UTC")
        ),
    );
    let mut t = Table::new(&[
        "role",
        "decision",
        "who",
        "identified",
        "comment",
        "saw",
        "ssh signature",
    ]);
    for n in &v.needed {
        match v.given_for(&n.role) {
            Some(g) => {
                let (class, text) = match g.decision {
                    SignoffDecision::Approve => ("pass", "APPROVED"),
                    SignoffDecision::Reject => ("fail", "REJECTED"),
                };
                let how = match &g.actor.via {
                    Via::Ssh { client, .. } => format!("socket peer over SSH from {client}"),
                    _ => "socket peer on this machine".to_string(),
                };
                t.row(&[
                    esc(&n.role),
                    badge(class, text),
                    esc(&format!(
                        "{} (uid {})",
                        g.actor.name,
                        g.actor.uid.map_or("?".into(), |u| u.to_string())
                    )),
                    esc(&how),
                    esc(&g.comment),
                    format!(
                        "<code>{}</code> at journal seq {}",
                        esc(&g.report_sha256.chars().take(16).collect::<String>()),
                        g.seen_seq
                    ),
                    esc(match &g.signature {
                        Some(s) if s.verified => "verified",
                        Some(_) => "did not verify",
                        None => "none",
                    }),
                ]);
            }
            None => {
                let missing = v.timed_out.as_ref().is_some_and(|m| m.contains(&n.role));
                t.row(&[
                    esc(&n.role),
                    badge(
                        if missing { "inc" } else { "skip" },
                        if missing { "NO ANSWER" } else { "NOT SIGNED" },
                    ),
                    esc(&format!("may sign: {}", n.who.join(", "))),
                    String::new(),
                    esc(if n.required { "required" } else { "optional" }),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    body.push_str(&t.finish());
    for f in &v.refused {
        body.push_str(&para(
            "meta",
            &format!(
                "Refused at {}: {} for {}: {}",
                f.ts.format("%H:%M:%S"),
                f.actor.described(),
                f.role,
                f.reason
            ),
        ));
    }
    section("signoffs", "Sign-offs", &body)
}
