//! Hard bounds on what a package may contain, and bounded diagnostics.
//!
//! Every size here is checked against bytes actually produced, never only
//! against what an archive header declares: a hostile header may say anything.
//! A package that exceeds a bound is rejected as a whole; nothing is truncated
//! and accepted.

/// Largest `.yoi-plugin` archive accepted, compressed: 64 MiB.
pub const MAX_ARCHIVE_BYTES: u64 = 64 * 1024 * 1024;

/// Most entries (files and directory entries) an archive may hold: 1024.
///
/// Checked before any entry is read, and again while packing a directory.
pub const MAX_ENTRIES: usize = 1024;

/// Largest single file once decompressed: 32 MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Largest total of all files once decompressed: 128 MiB.
pub const MAX_EXPANDED_BYTES: u64 = 128 * 1024 * 1024;

/// Highest decompressed-to-compressed ratio accepted for one entry: 100.
///
/// Ordinary wasm and JSON compress by 2-10x; only crafted input (a "deflate
/// bomb") goes far beyond 100x. Measured against the compressed bytes the
/// decompressor actually consumed, once an entry has produced more than
/// [`RATIO_CHECK_MIN_BYTES`].
pub const MAX_COMPRESSION_RATIO: u64 = 100;

/// Output size below which the compression ratio is not checked: 1 MiB.
///
/// Small files of zeros or repeated text legitimately compress beyond 100x; at
/// this size they cost nothing to expand, so the ratio check would only add
/// false positives.
pub const RATIO_CHECK_MIN_BYTES: u64 = 1024 * 1024;

/// Longest in-package path, in UTF-8 bytes: 256.
pub const MAX_PATH_BYTES: usize = 256;

/// Most `/`-separated segments in an in-package path: 16.
pub const MAX_PATH_DEPTH: usize = 16;

/// Largest `plugin.toml` accepted: 64 KiB.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// Most characters of an untrusted string (a path, a reason from a parser)
/// echoed in a diagnostic: 120.
pub const MAX_DIAGNOSTIC_CHARS: usize = 120;

/// Make an untrusted string safe to show: control characters, quotes and
/// backslashes escaped, and the result cut to [`MAX_DIAGNOSTIC_CHARS`] source
/// characters with a trailing `...` when it was longer.
///
/// A hostile archive controls its entry names; echoing them raw would let it
/// flood a log or inject terminal escape sequences.
pub fn bounded(text: &str) -> String {
    let mut out = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count == MAX_DIAGNOSTIC_CHARS {
            out.push_str("...");
            break;
        }
        out.extend(ch.escape_debug());
    }
    out
}

/// [`bounded`] for raw bytes, e.g. an entry name that is not UTF-8; invalid
/// sequences are shown as U+FFFD.
pub fn bounded_bytes(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(4 * (MAX_DIAGNOSTIC_CHARS + 1))];
    let lossy = String::from_utf8_lossy(cut);
    let mut shown = bounded(&lossy);
    if cut.len() < bytes.len() && !shown.ends_with("...") {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_escapes_control_characters_and_quotes() {
        assert_eq!(bounded("a\u{1b}[31mb\0\"c\\"), "a\\u{1b}[31mb\\0\\\"c\\\\");
    }

    #[test]
    fn bounded_truncates_long_text() {
        let long = "x".repeat(500);
        let shown = bounded(&long);
        assert_eq!(shown.len(), MAX_DIAGNOSTIC_CHARS + 3);
        assert!(shown.ends_with("..."));
        assert_eq!(bounded(&"y".repeat(MAX_DIAGNOSTIC_CHARS)), "y".repeat(120));
    }

    #[test]
    fn bounded_bytes_replaces_invalid_utf8() {
        assert_eq!(bounded_bytes(b"ok\xffname"), "ok\u{fffd}name");
        let long = vec![b'z'; 10_000];
        assert!(bounded_bytes(&long).ends_with("..."));
        assert!(bounded_bytes(&long).len() <= MAX_DIAGNOSTIC_CHARS + 3);
    }
}
