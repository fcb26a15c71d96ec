//! Themes: named styles for every item the screen draws, loaded from TOML.
//!
//! Built-in themes are embedded (`themes/*.toml`); files in a themes directory
//! override or extend them. Items a file leaves out come from the default
//! theme. The colour mode is applied last: `never` (or `NO_COLOR` with `auto`)
//! gives the mono theme, `16` maps every colour to the nearest ANSI name.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use ratatui::style::{Color, Modifier, Style};

use crate::config::ColorMode;

/// Built-in themes: name and embedded file text.
pub const BUILTIN_THEMES: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Something the screen draws with its own style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// Ordinary text.
    Text,
    /// Secondary text: column headers, hints, placeholders.
    Muted,
    /// Pane borders.
    Border,
    /// The focused pane's border.
    BorderFocus,
    /// Pane titles.
    Title,
    /// The focused pane's title.
    TitleFocus,
    /// PASS badges.
    Pass,
    /// WARN badges.
    Warn,
    /// FAIL badges.
    Fail,
    /// `??` (inconclusive) badges.
    Inconclusive,
    /// SKIP badges.
    Skipped,
    /// RUN badges.
    Running,
    /// PEND badges.
    Pending,
    /// The header line's text.
    Header,
    /// The header line's background.
    HeaderBg,
    /// Environment badge for production.
    EnvProd,
    /// Environment badge for pre-production.
    EnvPreprod,
    /// Environment badge for development and staging.
    EnvOther,
    /// The selected row.
    Highlight,
    /// Keys in the hint bar.
    HintKey,
    /// Status messages.
    StatusInfo,
    /// Error messages.
    StatusError,
    /// Load chart: median latency (and achieved rate).
    ChartP50,
    /// Load chart: 95th percentile.
    ChartP95,
    /// Load chart: 99th percentile.
    ChartP99,
    /// Load chart: threshold line (and target rate).
    ChartThreshold,
}

impl Item {
    /// Every item with its name in theme files.
    pub const ALL: [(Item, &'static str); 26] = [
        (Item::Text, "text"),
        (Item::Muted, "muted"),
        (Item::Border, "border"),
        (Item::BorderFocus, "border_focus"),
        (Item::Title, "title"),
        (Item::TitleFocus, "title_focus"),
        (Item::Pass, "pass"),
        (Item::Warn, "warn"),
        (Item::Fail, "fail"),
        (Item::Inconclusive, "inconclusive"),
        (Item::Skipped, "skipped"),
        (Item::Running, "running"),
        (Item::Pending, "pending"),
        (Item::Header, "header"),
        (Item::HeaderBg, "header_bg"),
        (Item::EnvProd, "env_prod"),
        (Item::EnvPreprod, "env_preprod"),
        (Item::EnvOther, "env_other"),
        (Item::Highlight, "highlight"),
        (Item::HintKey, "hint_key"),
        (Item::StatusInfo, "status_info"),
        (Item::StatusError, "status_error"),
        (Item::ChartP50, "chart_p50"),
        (Item::ChartP95, "chart_p95"),
        (Item::ChartP99, "chart_p99"),
        (Item::ChartThreshold, "chart_threshold"),
    ];

    fn index(self) -> usize {
        Item::ALL
            .iter()
            .position(|(i, _)| *i == self)
            .unwrap_or_default()
    }

    /// Name in theme files.
    pub fn name(self) -> &'static str {
        Item::ALL[self.index()].1
    }
}

/// A resolved theme.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// Theme name as asked for (or `mono` when colour is off).
    pub name: String,
    styles: [Style; Item::ALL.len()],
}

impl Theme {
    /// The style of an item.
    pub fn style(&self, item: Item) -> Style {
        self.styles[item.index()]
    }

    /// The built-in default theme.
    pub fn builtin_default() -> anyhow::Result<Theme> {
        let text = builtin_text("default").unwrap_or_default();
        let base = Theme {
            name: "default".into(),
            styles: [Style::new(); Item::ALL.len()],
        };
        parse_over(&base, "default", text, "themes/default.toml (built-in)")
    }

    /// Load a theme by name: a file `NAME.toml` in `themes_dir` wins over a
    /// built-in theme of that name; a name ending in `.toml` is a file path.
    pub fn load(name: &str, themes_dir: Option<&Path>) -> anyhow::Result<Theme> {
        let base = Theme::builtin_default()?;
        if name.ends_with(".toml") {
            return load_file(&base, name, Path::new(name));
        }
        if let Some(dir) = themes_dir {
            let path = dir.join(format!("{name}.toml"));
            if path.is_file() {
                return load_file(&base, name, &path);
            }
        }
        match builtin_text(name) {
            Some(text) => parse_over(&base, name, text, &format!("themes/{name}.toml (built-in)")),
            None => bail!(
                "unknown theme `{name}` (known: {})",
                known_themes(themes_dir).join(", ")
            ),
        }
    }

    /// Load a theme and apply the colour mode. `no_color_env` is whether
    /// `NO_COLOR` is set to a non-empty value (see [`no_color_from_env`]).
    pub fn resolve(
        name: &str,
        themes_dir: Option<&Path>,
        mode: ColorMode,
        no_color_env: bool,
    ) -> anyhow::Result<Theme> {
        // Load the asked-for theme even when colour is off, so a broken file is still reported.
        let theme = Theme::load(name, themes_dir)?;
        let colourless = mode == ColorMode::Never || (mode == ColorMode::Auto && no_color_env);
        if colourless {
            let mut mono = Theme::load("mono", None)?;
            mono.map_colors(|_| Color::Reset);
            return Ok(mono);
        }
        let mut theme = theme;
        match mode {
            ColorMode::Ansi16 => theme.map_colors(to_ansi16),
            ColorMode::Ansi256 => theme.map_colors(to_ansi256),
            _ => {}
        }
        Ok(theme)
    }

    fn map_colors(&mut self, f: impl Fn(Color) -> Color) {
        for s in &mut self.styles {
            s.fg = s.fg.map(&f).filter(|c| *c != Color::Reset);
            s.bg = s.bg.map(&f).filter(|c| *c != Color::Reset);
        }
    }
}

/// Whether the `NO_COLOR` convention asks for no colour (set and non-empty).
pub fn no_color_from_env(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Names of every theme available: built-in ones and files in `themes_dir`.
pub fn known_themes(themes_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_THEMES.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(dir) = themes_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut extra: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| PathBuf::from(e.file_name()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .filter(|n| !names.contains(n))
            .collect();
        extra.sort();
        names.extend(extra);
    }
    names
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN_THEMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

fn load_file(base: &Theme, name: &str, path: &Path) -> anyhow::Result<Theme> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read theme file", path.display()))?;
    parse_over(base, name, &text, &path.display().to_string())
}

/// Parse a theme file over a base theme; items the file leaves out keep the base style.
pub fn parse_over(base: &Theme, name: &str, text: &str, source: &str) -> anyhow::Result<Theme> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| anyhow!("{source}: not a valid theme file: {e}"))?;
    let mut theme = Theme {
        name: name.to_string(),
        styles: base.styles,
    };
    for (key, value) in &table {
        let Some((item, _)) = Item::ALL.iter().find(|(_, n)| n == key) else {
            bail!(
                "{source}: key `{key}`: unknown theme item (known: {})",
                Item::ALL.map(|(_, n)| n).join(", ")
            );
        };
        theme.styles[item.index()] = parse_style(value, key.ends_with("_bg"))
            .map_err(|e| anyhow!("{source}: key `{key}`: {e}"))?;
    }
    Ok(theme)
}

fn parse_style(value: &toml::Value, background: bool) -> Result<Style, String> {
    match value {
        toml::Value::String(s) => {
            let c = parse_color(s)?;
            Ok(if background {
                Style::new().bg(c)
            } else {
                Style::new().fg(c)
            })
        }
        toml::Value::Table(t) => {
            let mut style = Style::new();
            for (k, v) in t {
                match (k.as_str(), v) {
                    ("fg", toml::Value::String(s)) => style = style.fg(parse_color(s)?),
                    ("bg", toml::Value::String(s)) => style = style.bg(parse_color(s)?),
                    ("modifiers", toml::Value::Array(list)) => {
                        for m in list {
                            let name = m.as_str().unwrap_or_default();
                            style = style.add_modifier(parse_modifier(name)?);
                        }
                    }
                    _ => {
                        return Err(format!(
                            "unexpected `{k}` (a style table has fg, bg and modifiers)"
                        ));
                    }
                }
            }
            Ok(style)
        }
        _ => Err("expected a colour name or a table { fg, bg, modifiers }".into()),
    }
}

fn parse_color(s: &str) -> Result<Color, String> {
    s.parse::<Color>().map_err(|_| {
        format!(
            "unknown colour `{s}` (use an ANSI name such as red, lightblue, darkgray, or \"#rrggbb\", or 0-255)"
        )
    })
}

fn parse_modifier(name: &str) -> Result<Modifier, String> {
    Ok(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        other => {
            return Err(format!(
                "unknown modifier `{other}` (known: bold, dim, italic, underlined, reversed, crossed_out)"
            ));
        }
    })
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) if i < 16 => Some(ANSI16[i as usize].1),
        Color::Indexed(i) if i >= 232 => {
            let v = 8 + 10 * (i - 232);
            Some((v, v, v))
        }
        Color::Indexed(i) => {
            let i = i - 16;
            let level = |x: u8| if x == 0 { 0 } else { 55 + 40 * x };
            Some((level(i / 36), level((i / 6) % 6), level(i % 6)))
        }
        _ => None,
    }
}

/// The nearest of the 16 ANSI colours (named colours are kept).
pub fn to_ansi16(c: Color) -> Color {
    let Some((r, g, b)) = rgb_of(c) else {
        return c;
    };
    let dist = |(x, y, z): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, x) + d(g, y) + d(b, z)
    };
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| dist(*rgb))
        .map_or(c, |(named, _)| *named)
}

/// The nearest colour of the 256-colour cube for RGB colours.
pub fn to_ansi256(c: Color) -> Color {
    match c {
        Color::Rgb(r, g, b) => {
            let q = |x: u8| {
                if x < 48 {
                    0
                } else {
                    ((u16::from(x) - 35) / 40) as u8
                }
            };
            Color::Indexed(16 + 36 * q(r) + 6 * q(g) + q(b))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        for (name, _) in BUILTIN_THEMES {
            let t = Theme::load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn default_theme_defines_every_item_in_ansi_names() {
        let table: toml::Table = toml::from_str(BUILTIN_THEMES[0].1).expect("toml");
        for (_, name) in Item::ALL {
            assert!(table.contains_key(name), "default.toml lacks `{name}`");
        }
        let t = Theme::builtin_default().expect("default");
        for (item, _) in Item::ALL {
            let s = t.style(item);
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{item:?}: {c:?}"
                );
            }
        }
    }

    #[test]
    fn mono_theme_has_no_colour() {
        let t = Theme::load("mono", None).expect("mono");
        for (item, _) in Item::ALL {
            assert_eq!(t.style(item).fg, None, "{item:?}");
            assert_eq!(t.style(item).bg, None, "{item:?}");
        }
        assert!(
            t.style(Item::Fail)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn no_color_forces_mono_in_auto_mode_only() {
        assert!(no_color_from_env(Some("1".into())));
        assert!(!no_color_from_env(Some("".into())));
        assert!(!no_color_from_env(None));
        let t = Theme::resolve("default", None, ColorMode::Auto, true).expect("resolves");
        assert_eq!(t.name, "mono");
        assert_eq!(t.style(Item::Fail).fg, None);
        let t = Theme::resolve("default", None, ColorMode::Never, false).expect("resolves");
        assert_eq!(t.name, "mono");
        let t = Theme::resolve("default", None, ColorMode::Auto, false).expect("resolves");
        assert_eq!(t.style(Item::Fail).fg, Some(Color::LightRed));
    }

    #[test]
    fn bad_colour_names_file_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ugly.toml");
        std::fs::write(&path, "pass = \"greenish\"\n").expect("write");
        let err = Theme::load("ugly", Some(dir.path()))
            .expect_err("bad colour")
            .to_string();
        assert!(err.contains("ugly.toml"), "{err}");
        assert!(err.contains("key `pass`"), "{err}");
        assert!(err.contains("greenish"), "{err}");
    }

    #[test]
    fn theme_files_extend_the_default_and_unknown_names_list_known_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ops.toml"), "fail = \"#ff0000\"\n").expect("write");
        let t = Theme::load("ops", Some(dir.path())).expect("ops");
        assert_eq!(t.style(Item::Fail).fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(t.style(Item::Pass).fg, Some(Color::Green));
        let t16 = Theme::resolve("ops", Some(dir.path()), ColorMode::Ansi16, false).expect("16");
        assert_eq!(t16.style(Item::Fail).fg, Some(Color::LightRed));
        let err = Theme::load("nope", Some(dir.path()))
            .expect_err("unknown")
            .to_string();
        assert!(
            err.contains("known: default, light, mono, high-contrast, ops"),
            "{err}"
        );
    }
}
