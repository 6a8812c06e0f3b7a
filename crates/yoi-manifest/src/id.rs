//! Identifier rules for plugin ids and surface (tool, service, ingress) names.

/// Longest plugin id accepted.
pub const MAX_ID_LEN: usize = 128;
/// Longest tool, service or ingress name accepted (MCP clients cap tool names at 64).
pub const MAX_NAME_LEN: usize = 64;

/// A plugin id: 1-128 of `[a-z0-9._-]`, with no leading or trailing dot.
pub fn is_valid_plugin_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && !id.ends_with('.')
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// A tool, service or ingress name: 1-64 of `[A-Za-z0-9_-]`.
pub fn is_valid_surface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_ids() {
        for ok in ["a", "echo", "my.plugin-1_x", &"a".repeat(128)] {
            assert!(is_valid_plugin_id(ok), "{ok}");
        }
        for bad in ["", ".a", "a.", "A", "a b", "a/b", "é", &"a".repeat(129)] {
            assert!(!is_valid_plugin_id(bad), "{bad}");
        }
    }

    #[test]
    fn surface_names() {
        assert!(is_valid_surface_name("read_file"));
        assert!(is_valid_surface_name("Fetch-2"));
        assert!(!is_valid_surface_name("a.b"));
        assert!(!is_valid_surface_name(""));
        assert!(!is_valid_surface_name(&"x".repeat(65)));
    }
}
