//! Where in a text a parser's byte offset is, the way people count: for
//! error messages that name the line and column of a configuration file.

/// 1-based line and column (in characters) of a byte offset.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::line_and_column;

    #[test]
    fn counts_lines_and_characters_from_one() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_and_column(text, text.find('x').unwrap()), (2, 9));
        assert_eq!(line_and_column(text, 999), (3, 1));
    }
}
