//! What the operator has done to a list pane: the filter typed after `/` and
//! the selected row. One [`ListView`] per list pane, so Stages, Environment
//! and Findings (and any list pane to come) filter and select alike.

/// A list pane's filter text and selected row.
///
/// The selection is kept as pressed, not as shown: it is clamped to the
/// rows a filter leaves only when read, so narrowing a filter and widening
/// it again brings the operator back to the row they had.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListView {
    filter: String,
    selection: usize,
}

impl ListView {
    /// The filter text, as typed.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Type one character into the filter.
    pub fn push_filter(&mut self, c: char) {
        self.filter.push(c);
    }

    /// Delete the filter's last character.
    pub fn pop_filter(&mut self) {
        self.filter.pop();
    }

    /// Clear the filter; says whether there was one, because `esc` clears a
    /// filter first and only then leaves zoom.
    pub fn clear_filter(&mut self) -> bool {
        let had = !self.filter.is_empty();
        self.filter.clear();
        had
    }

    /// Whether a row's text passes the filter (case-insensitive substring;
    /// everything passes an empty filter).
    pub fn matches(&self, row_text: &str) -> bool {
        self.filter.is_empty()
            || row_text
                .to_lowercase()
                .contains(&self.filter.to_lowercase())
    }

    /// The selected row among `len` visible rows: clamped to the last one,
    /// none when nothing is visible.
    pub fn selected(&self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.selection.min(len - 1))
    }

    /// Move the selection one row down or up within `len` visible rows,
    /// stopping at either end; nothing to move when no row is visible.
    pub fn move_selection(&mut self, down: bool, len: usize) {
        let Some(cur) = self.selected(len) else {
            return;
        };
        self.selection = if down {
            (cur + 1).min(len - 1)
        } else {
            cur.saturating_sub(1)
        };
    }

    /// Select the first row (after the rows were reordered).
    pub fn select_first(&mut self) {
        self.selection = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> ListView {
        let mut v = ListView::default();
        for c in text.chars() {
            v.push_filter(c);
        }
        v
    }

    #[test]
    fn filter_is_typed_erased_and_cleared() {
        let mut v = typed("db");
        assert_eq!(v.filter(), "db");
        v.pop_filter();
        assert_eq!(v.filter(), "d");
        assert!(v.clear_filter(), "a filter was there to clear");
        assert_eq!(v.filter(), "");
        assert!(!v.clear_filter(), "nothing left: esc leaves zoom instead");
        v.pop_filter();
        assert_eq!(v.filter(), "", "erasing an empty filter is harmless");
    }

    #[test]
    fn filter_matches_without_case() {
        let v = typed("DB");
        assert!(v.matches("db FAIL status 503"));
        assert!(v.matches("the Db row"));
        assert!(!v.matches("api PASS"));
        assert!(ListView::default().matches("anything"));
    }

    #[test]
    fn selection_stays_within_the_visible_rows() {
        let mut v = ListView::default();
        assert_eq!(v.selected(0), None, "no rows, no selection");
        v.move_selection(true, 0);
        assert_eq!(
            v.selected(3),
            Some(0),
            "moving in an empty list does nothing"
        );
        v.move_selection(true, 3);
        v.move_selection(true, 3);
        v.move_selection(true, 3);
        assert_eq!(v.selected(3), Some(2), "stops at the last row");
        v.move_selection(false, 3);
        assert_eq!(v.selected(3), Some(1));
        v.move_selection(false, 3);
        v.move_selection(false, 3);
        assert_eq!(v.selected(3), Some(0), "stops at the first row");
    }

    #[test]
    fn selection_is_clamped_when_read_and_kept_for_when_rows_return() {
        let mut v = ListView::default();
        for _ in 0..4 {
            v.move_selection(true, 5);
        }
        assert_eq!(v.selected(5), Some(4));
        assert_eq!(v.selected(2), Some(1), "a filter left two rows");
        assert_eq!(v.selected(5), Some(4), "the filter went: same row again");
        v.move_selection(false, 2);
        assert_eq!(v.selected(5), Some(0), "moving starts from the shown row");
        v.move_selection(true, 5);
        v.select_first();
        assert_eq!(v.selected(5), Some(0));
    }
}
