//! Escaping text for the self-contained HTML documents Tenure writes by
//! hand (evidence pages, control reports); the console's pages are built
//! with `maud`, whose escaper this uses too.

use std::fmt::Write;

/// `text` safe in HTML element content and in double-quoted attribute
/// values (`&`, `<`, `>` and `"` escaped).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = maud::Escaper::new(&mut out).write_str(text);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
