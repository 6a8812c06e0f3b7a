//! Output helpers: JSON and text to stdout, lines to stderr, quiet exit on
//! a closed pipe, hints.
//!
//! Guarantee: nothing printed here can drive the terminal. Plugin-controlled
//! text (results, errors, guest stdout/stderr, history, manifest fields)
//! reaches a person only through [`print`], [`json`] and [`stderr!`], which
//! pass it through [`printable`]: control characters other than newline and
//! tab, line and paragraph separators and bidi overrides are shown as
//! escapes (`\u{1b}`, `\r`, `\u{202e}`), so a plugin cannot clear the
//! screen, rewrite a line already shown, or reorder what a person reads.
//! JSON stays JSON: the same characters are written as `\uXXXX` escapes,
//! which decode to the same value.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

/// An error for a person: what went wrong and what to do next.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// An error whose `hint:` line says what to do next.
pub fn hinted(message: impl fmt::Display, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.to_string(),
        hint: hint.into(),
    })
}

pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .find_map(|e| e.downcast_ref::<Hinted>())
        .map(|h| h.hint.as_str())
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Whether `ch` must not reach a terminal as it is: a control character
/// other than newline and tab (C0, DEL, C1), a line or paragraph separator,
/// or a bidi embedding, override or isolate.
fn unsafe_for_terminal(ch: char) -> bool {
    (ch.is_control() && ch != '\n' && ch != '\t')
        || matches!(ch, '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal would act on shown as an escape
/// (`\r`, `\u{1b}`, `\u{202e}`); newline and tab are kept. Borrowed when
/// there is nothing to escape, which is the common case.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if !unsafe_for_terminal(ch) {
            out.push(ch);
        } else if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.extend(ch.escape_unicode());
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON with the characters of [`printable`] as `\uXXXX`. Sound
/// because serde_json writes such characters only inside strings (all are
/// in the BMP), and its own escapes (`\u001b`, `\n`) are plain ASCII.
fn json_printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if unsafe_for_terminal(ch) {
            out.push_str(&format!("\\u{:04x}", u32::from(ch)));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Write `text` to stdout, made [`printable`].
pub fn print(text: &str) -> anyhow::Result<()> {
    write_stdout(&printable(text))
}

/// Write a value as pretty JSON with a trailing newline.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_stdout(&json_printable(&text))
}

/// Write one line to stderr, made [`printable`]; a failed write is ignored
/// (there is nowhere left to report it), where `eprintln!` would panic.
pub fn eprint_line(line: fmt::Arguments<'_>) {
    let mut text = printable(&line.to_string()).into_owned();
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `eprintln!` through [`eprint_line`]: every line the CLI writes to stderr
/// goes through here, since most can carry plugin text.
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::output::eprint_line(format_args!($($arg)*))
    };
}
pub(crate) use stderr;

/// Render rows as left-aligned columns, cells made [`printable`] first so
/// that the columns line up with what is shown.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| printable(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in &rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// `sha256:0123456789ab` for humans; JSON always carries the full digest.
pub fn short_digest(digest: &str) -> String {
    digest.chars().take("sha256:".len() + 12).collect()
}

/// Show on stderr what the history kept as problems since the last look
/// (a failed append, a failed background commit): the library never
/// prints them itself.
pub fn history_problems(history: &yoi_history::History) {
    for problem in history.take_problems() {
        stderr!("yoi: warning: {problem}");
    }
}

/// For a front end that keeps running: show the history's problems every
/// second, on the current tokio runtime, until the task is aborted.
pub fn watch_history_problems(
    history: std::sync::Arc<yoi_history::History>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            history_problems(&history);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_and_newline_and_tab_kept() {
        assert_eq!(
            printable("a\u{1b}[2J\rb\u{7}\u{8}\u{9b}c\n\td"),
            "a\\u{1b}[2J\\rb\\u{7}\\u{8}\\u{9b}c\n\td"
        );
        assert_eq!(
            printable("x\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}y"),
            "x\\u{2028}\\u{2029}\\u{202a}\\u{202e}\\u{2066}\\u{2069}y"
        );
        assert!(matches!(printable("plain é ✓\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_value_and_loses_the_raw_characters() {
        let value = serde_json::json!({"t": "\u{1b}\u{7f}\u{85}\u{202e}\u{2028}\r é"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_printable(&text);
        assert!(!safe.chars().any(unsafe_for_terminal), "{safe}");
        assert!(
            safe.contains("\\u202e") && safe.contains("\\u0085"),
            "{safe}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            value
        );
    }

    #[test]
    fn table_columns_line_up_with_escaped_cells() {
        let rows = vec![vec!["\u{1b}".to_owned(), "x".to_owned()]];
        assert_eq!(table(&["A", "B"], &rows), "A       B\n\\u{1b}  x\n");
    }
}
