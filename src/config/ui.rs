//! `[ui]`: the terminal UI's settings. Plain data kept on this floor because
//! the UI is a face (above the engine) while the aggregate config, which
//! names this section, sits below it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Problem;

/// Colour mode for the terminal.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ColorMode {
    /// Colours unless `NO_COLOR` is set or the terminal says otherwise.
    Auto,
    /// No colour at all (text badges carry state).
    Never,
    /// The 16 ANSI colours.
    #[serde(rename = "16")]
    #[value(name = "16")]
    Ansi16,
    /// 256 colours.
    #[serde(rename = "256")]
    #[value(name = "256")]
    Ansi256,
    /// 24-bit colour.
    Truecolor,
}

/// `[ui]`: terminal UI settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct UiSection {
    /// Theme name (a file in `themes/` or a built-in one).
    pub theme: String,
    /// Most frames per second.
    pub fps: u32,
    /// ASCII borders and chart markers.
    pub ascii: bool,
    /// Colour mode.
    pub color: ColorMode,
    /// Mouse capture.
    pub mouse: bool,
    /// Keymap file; the built-in `config/keymap.toml` when absent.
    pub keymap: Option<PathBuf>,
    /// Directory with extra themes.
    pub themes_dir: Option<PathBuf>,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            theme: "default".into(),
            fps: 10,
            ascii: false,
            color: ColorMode::Auto,
            mouse: false,
            keymap: None,
            themes_dir: None,
        }
    }
}

impl UiSection {
    /// Every problem in `[ui]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if !(1..=60).contains(&self.fps) {
            out.push(Problem::at(
                "ui.fps",
                format!("{} is outside 1..=60", self.fps),
                "use 10 unless you have a reason",
            ));
        }
        out
    }
}
