//! The digest of a config's authority: what `yoi trust` approves.
//!
//! The digest covers every `[plugins]` entry (pins, surfaces, every grant,
//! the ingress sender checks and so every secret file named) except its
//! `config` table (the plugin's own settings, which grant nothing), and the
//! `[serve]`, `[https]` and `[limits]` sections. It is taken over the parsed
//! TOML, re-encoded canonically (tables in sorted key order, every value
//! tagged with its type and length), so comments, whitespace, key order and
//! the choice between inline and standard tables never change it, while any
//! change of a value does.

use sha2::{Digest as _, Sha256};
use yoi_package::Digest;

/// Bumped whenever the encoding below changes, so that an old approval can
/// never match a digest computed another way.
const FORMAT_TAG: &[u8] = b"yoi-config-authority-v1\0";
/// The sections whose content is authority, besides `[plugins]`.
const SECTIONS: [&str; 3] = ["serve", "https", "limits"];

/// The digest of `table`'s authority, or `None` when it holds none: no
/// `[plugins]` entry and empty or absent `[serve]`, `[https]`, `[limits]`.
pub(crate) fn authority_digest(table: &toml::Table) -> Option<Digest> {
    let mut authority = toml::Table::new();
    if let Some(toml::Value::Table(plugins)) = table.get("plugins")
        && !plugins.is_empty()
    {
        let entries = plugins
            .iter()
            .map(|(key, entry)| {
                let mut entry = entry.clone();
                if let toml::Value::Table(t) = &mut entry {
                    t.remove("config");
                }
                (key.clone(), entry)
            })
            .collect();
        authority.insert("plugins".into(), toml::Value::Table(entries));
    }
    for name in SECTIONS {
        match table.get(name) {
            None => {}
            Some(toml::Value::Table(t)) if t.is_empty() => {}
            Some(value) => {
                authority.insert(name.into(), value.clone());
            }
        }
    }
    if authority.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    hasher.update(FORMAT_TAG);
    encode(&mut hasher, &toml::Value::Table(authority));
    Some(Digest::from_bytes(hasher.finalize().into()))
}

fn encode(h: &mut Sha256, value: &toml::Value) {
    let bytes = |h: &mut Sha256, tag: u8, b: &[u8]| {
        h.update([tag]);
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    match value {
        toml::Value::String(s) => bytes(h, b's', s.as_bytes()),
        toml::Value::Integer(i) => bytes(h, b'i', &i.to_le_bytes()),
        toml::Value::Float(f) => bytes(h, b'f', &f.to_bits().to_le_bytes()),
        toml::Value::Boolean(b) => bytes(h, b'b', &[u8::from(*b)]),
        toml::Value::Datetime(d) => bytes(h, b'd', d.to_string().as_bytes()),
        toml::Value::Array(items) => {
            bytes(h, b'a', &(items.len() as u64).to_le_bytes());
            for item in items {
                encode(h, item);
            }
        }
        toml::Value::Table(t) => {
            bytes(h, b't', &(t.len() as u64).to_le_bytes());
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            for key in keys {
                bytes(h, b'k', key.as_bytes());
                encode(h, &t[key.as_str()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn digest(text: &str) -> Option<Digest> {
        authority_digest(&text.parse().unwrap())
    }

    fn base() -> String {
        format!(
            r#"# a workspace
[serve]
listen = "127.0.0.1:7717"

[plugins."project:echo"]
version = "1.0.0"
digest = "{DIGEST}"
surfaces = ["tool"]

[plugins."project:echo".grants]
tools = ["echo"]

[[plugins."project:echo".grants.fs]]
root = "/home/me/notes"
ops = ["read"]

[plugins."project:echo".config]
greeting = "hello"
"#
        )
    }

    #[test]
    fn comments_whitespace_and_key_order_keep_the_digest() {
        let same = format!(
            r#"
[plugins."project:echo"]
surfaces   = [ "tool" ]   # reordered, spaced, commented
digest = "{DIGEST}"
version = "1.0.0"
grants = {{ tools = ["echo"], fs = [{{ ops = ["read"], root = "/home/me/notes" }}] }}
config = {{ greeting = "hello" }}

[serve]
# the default address
listen = "127.0.0.1:7717"
"#
        );
        assert!(digest(&base()).is_some());
        assert_eq!(digest(&base()), digest(&same));
    }

    #[test]
    fn the_plugins_own_config_is_not_authority() {
        let other = base().replace("greeting = \"hello\"", "greeting = \"bye\"");
        assert_eq!(digest(&base()), digest(&other));
    }

    #[test]
    fn any_authority_change_changes_the_digest() {
        let changes = [
            ("ops = [\"read\"]", "ops = [\"read\", \"write\"]"),
            ("root = \"/home/me/notes\"", "root = \"/\""),
            ("tools = [\"echo\"]", "tools = [\"*\"]"),
            ("version = \"1.0.0\"", "version = \"1.0.1\""),
            (
                "surfaces = [\"tool\"]",
                "surfaces = [\"tool\", \"service\"]",
            ),
            ("listen = \"127.0.0.1:7717\"", "listen = \"0.0.0.0:7717\""),
            (
                "[serve]",
                "[limits]\ndeadline_ms = 60000\n[https]\nbuiltin_roots = false\n[serve]",
            ),
            (
                "[plugins.\"project:echo\".config]",
                "[[plugins.\"project:echo\".grants.https]]\nurl = \"https://a.example/\"\nmethods = [\"GET\"]\n[[plugins.\"project:echo\".grants.https.secrets]]\nheader = \"Authorization\"\nfile = \"/home/me/.git-credentials\"\n[plugins.\"project:echo\".config]",
            ),
            (
                "[plugins.\"project:echo\".config]",
                "[plugins.\"project:echo\".ingress.hook]\ntoken_file = \"/t\"\n[plugins.\"project:echo\".config]",
            ),
        ];
        let original = digest(&base());
        for (from, to) in changes {
            let changed = base().replacen(from, to, 1);
            assert_ne!(changed, base(), "`{from}` is not in the base config");
            assert_ne!(digest(&changed), original, "`{from}` -> `{to}`");
        }
    }

    #[test]
    fn a_config_without_authority_has_no_digest() {
        assert_eq!(digest(""), None);
        assert_eq!(digest("# only a comment\n[plugins]\n[limits]\n"), None);
        assert!(digest("[limits]\ndeadline_ms = 100\n").is_some());
    }
}
