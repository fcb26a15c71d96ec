//! The `:` command palette: `:quit`, `:theme NAME`, `:rerun STAGE`,
//! `:destroy`, `:apply`, `:help`.

use crate::ui::app::{App, Effect};
use crate::ui::theme::known_themes;

/// Palette commands with their usage, for help and error messages.
pub const COMMANDS: [(&str, &str); 6] = [
    ("quit", "quit (asks first while the run is in progress)"),
    ("theme NAME", "switch the colour theme"),
    ("rerun STAGE", "run one stage again"),
    (
        "destroy",
        "destroy the ephemeral environment now (after the decision)",
    ),
    (
        "apply",
        "answer the pending apply approval (reopens its dialog)",
    ),
    ("help", "show the key bindings"),
];

fn command_list() -> String {
    COMMANDS
        .iter()
        .map(|(c, _)| format!(":{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl App {
    /// Run one palette line (with or without the leading `:`).
    pub fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let line = line.trim().trim_start_matches(':');
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else {
            return Vec::new();
        };
        let arg = words.next();
        match (cmd, arg) {
            ("q" | "quit", _) => return self.request_quit(),
            ("h" | "help", _) => self.open_help(),
            ("theme", None) => {
                let known = known_themes(self.themes_dir_ref()).join(", ");
                self.error(format!("usage: :theme NAME (known: {known})"));
            }
            ("theme", Some(name)) => match self.set_theme(name) {
                Ok(()) if self.theme().name != name => self.info(format!(
                    "theme `{name}` loaded, but colour is off (NO_COLOR or --color never): showing mono"
                )),
                Ok(()) => self.info(format!("theme `{name}`")),
                Err(e) => self.error(format!("{e:#}")),
            },
            ("rerun", None) => {
                let ids: Vec<String> = self
                    .state()
                    .stages
                    .iter()
                    .map(|s| s.plan.id.clone())
                    .collect();
                self.error(format!("usage: :rerun STAGE (stages: {})", ids.join(", ")));
            }
            ("rerun", Some(stage)) => return self.rerun(stage),
            ("destroy", None) => return self.destroy_environment(),
            ("apply", None) => self.reopen_apply_dialog(),
            (other, _) => self.error(format!(
                "unknown command `:{other}` (commands: {})",
                command_list()
            )),
        }
        Vec::new()
    }
}
