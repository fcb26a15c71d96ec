//! Address and attribute patterns: `*` matches any run of characters
//! (dots and brackets included), `?` one character, everything else itself.
//!
//! A tiny matcher rather than `globset`: Terraform addresses are full of
//! `[0]` and `["key"]`, which glob syntax would read as character classes.

/// Whether `text` matches `pattern` (`*` any run, `?` any one character).
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_cross_dots_and_brackets_are_literal() {
        assert!(matches("aws_instance.*", "aws_instance.web[0]"));
        assert!(matches("*.web[0]", "module.app.aws_instance.web[0]"));
        assert!(matches("tags.*", "tags.Environment"));
        assert!(matches("instance_type", "instance_type"));
        assert!(!matches("instance_type", "instance_types"));
        assert!(matches("output.*_url", "output.canary_url"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("aws_db_*", "aws_instance.db"));
        assert!(matches("*", ""));
    }
}
