//! The `[serve]` table of `.yoi/config.toml`: where `yoi serve` listens and
//! how its endpoints are guarded.
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:7717"                 # the default; `--listen` overrides it
//! token_file = "/home/me/.config/yoi/token" # bearer token for /mcp, /status and /ingress
//! allowed_hosts = ["mcp.internal"]          # Host values accepted besides loopback
//! allowed_origins = ["https://app.example"] # browser origins accepted besides loopback
//! ```
//!
//! Secure defaults: loopback address, loopback `Host` and `Origin` only, no
//! token. Unknown keys are errors, so a misspelt `token_file` can never leave
//! the endpoint silently open. The token lives in its own file, never inline,
//! so `config.toml` can be committed and shared without the secret.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use yoi_mcp::HttpOptions;

use crate::ServeError;

/// Where `yoi serve` listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 7717);

const KEYS: [&str; 4] = ["listen", "token_file", "allowed_hosts", "allowed_origins"];
/// A token file is a few dozen bytes; anything much larger is the wrong file.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;
/// Longest `allowed_hosts` / `allowed_origins` entry (a DNS name plus scheme and port).
const MAX_NAME_BYTES: usize = 300;

/// `[serve]`, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServeConfig {
    /// The address to listen on; `None` means [`DEFAULT_LISTEN`].
    pub listen: Option<SocketAddr>,
    /// Absolute: a relative `token_file` is taken relative to the workspace.
    pub token_file: Option<PathBuf>,
    /// `Host` values `/mcp` accepts besides loopback.
    pub allowed_hosts: Vec<String>,
    /// Browser `Origin`s `/mcp` accepts besides loopback.
    pub allowed_origins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<String>,
    token_file: Option<PathBuf>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
}

impl ServeConfig {
    /// Validate the raw `[serve]` table of the config at `config_path`.
    pub fn parse(
        table: &toml::Table,
        workspace: &Path,
        config_path: &Path,
    ) -> Result<ServeConfig, ServeError> {
        let invalid = |message: String| ServeError::Config {
            path: config_path.to_owned(),
            message,
        };
        if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(invalid(format!(
                "unknown key `{}` (expected one of: {})",
                yoi_manifest::bounded(key, 60),
                KEYS.join(", ")
            )));
        }
        let raw: Raw = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| invalid(yoi_manifest::bounded(&e.to_string(), 300)))?;
        let listen = raw
            .listen
            .map(|text| {
                text.parse::<SocketAddr>().map_err(|_| {
                    invalid(format!(
                        "`listen` is `{}`, not an address with a port such as `127.0.0.1:7717`",
                        yoi_manifest::bounded(&text, 80)
                    ))
                })
            })
            .transpose()?;
        for (key, list) in [
            ("allowed_hosts", &raw.allowed_hosts),
            ("allowed_origins", &raw.allowed_origins),
        ] {
            for entry in list {
                if let Some(problem) = name_problem(key, entry) {
                    return Err(invalid(format!(
                        "`{key}` entry `{}` {problem}",
                        yoi_manifest::bounded(entry, 80)
                    )));
                }
            }
        }
        Ok(ServeConfig {
            listen,
            token_file: raw.token_file.map(|p| workspace.join(p)),
            allowed_hosts: raw.allowed_hosts,
            allowed_origins: raw.allowed_origins,
        })
    }

    /// How every route (`/mcp` and the others alike) checks `Host` and
    /// `Origin` when serving on `listen`:
    /// loopback plus `allowed_hosts` and `allowed_origins`, plus the literal
    /// address listened on when it is neither loopback nor unspecified. That
    /// address is not a rebinding target: a page that rebinds its own name
    /// still sends that name.
    pub fn mcp_options(&self, listen: SocketAddr) -> HttpOptions {
        let options = HttpOptions::default()
            .allow_hosts(self.allowed_hosts.iter().cloned())
            .allow_origins(self.allowed_origins.iter().cloned());
        if listen.ip().is_loopback() || listen.ip().is_unspecified() {
            options
        } else {
            options.allow_hosts([listen.ip().to_string()])
        }
    }
}

/// Why an `allowed_hosts` / `allowed_origins` entry cannot be right, if it cannot.
fn name_problem(key: &str, entry: &str) -> Option<&'static str> {
    if entry.is_empty() || entry.len() > MAX_NAME_BYTES {
        return Some("is empty or too long");
    }
    if entry.bytes().any(|b| !b.is_ascii_graphic()) {
        return Some("contains spaces or characters that are not printable ASCII");
    }
    match key {
        "allowed_hosts" if entry.contains('/') => Some(
            "is a URL; give the host as it appears in `Host`, e.g. `mcp.internal` or `mcp.internal:7717`",
        ),
        "allowed_origins" if !(entry.starts_with("http://") || entry.starts_with("https://")) => {
            Some("is not an origin such as `https://app.example` or `http://localhost:*`")
        }
        _ => None,
    }
}

/// The bearer token read from `token_file`, with warnings about how it is kept.
pub struct Token {
    /// The token itself, trimmed; `Debug` never shows it.
    pub value: String,
    /// Said to the user, not fatal (e.g. a file other users can read).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Read the token: one line of printable ASCII (what fits in an
/// `Authorization` header), surrounding whitespace trimmed. Errors never
/// quote the file's content.
pub fn read_token(path: &Path) -> Result<Token, ServeError> {
    use std::io::Read as _;

    let read = |source| ServeError::TokenRead {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let metadata = file.metadata().map_err(read)?;
    if !metadata.is_file() {
        return Err(ServeError::TokenNotAFile {
            path: path.to_owned(),
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_TOKEN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_TOKEN_FILE_BYTES {
        return Err(ServeError::TokenTooLarge {
            path: path.to_owned(),
            limit: MAX_TOKEN_FILE_BYTES,
        });
    }
    let token = bytes.trim_ascii();
    if token.is_empty() {
        return Err(ServeError::TokenEmpty {
            path: path.to_owned(),
        });
    }
    if !token.iter().all(u8::is_ascii_graphic) {
        return Err(ServeError::TokenUnsendable {
            path: path.to_owned(),
        });
    }
    let mut warnings = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "the token file `{}` is readable by other users (mode {:o}); `chmod 600` it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    Ok(Token {
        value: String::from_utf8_lossy(token).into_owned(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServeConfig, ServeError> {
        let table: toml::Table = text.parse().unwrap();
        ServeConfig::parse(&table, Path::new("/ws"), Path::new("/ws/.yoi/config.toml"))
    }

    fn error(text: &str) -> String {
        let err = parse(text).unwrap_err();
        assert!(matches!(err, ServeError::Config { .. }), "{err}");
        err.to_string()
    }

    #[test]
    fn an_empty_table_is_the_secure_default() {
        assert_eq!(parse("").unwrap(), ServeConfig::default());
    }

    #[test]
    fn every_key_is_read_and_a_relative_token_file_is_under_the_workspace() {
        let c = parse(
            r#"
            listen = "[::1]:9000"
            token_file = ".yoi/token"
            allowed_hosts = ["mcp.internal", "mcp.internal:9000"]
            allowed_origins = ["https://app.example"]
            "#,
        )
        .unwrap();
        assert_eq!(c.listen, Some("[::1]:9000".parse().unwrap()));
        assert_eq!(c.token_file, Some(PathBuf::from("/ws/.yoi/token")));
        assert_eq!(c.allowed_hosts, ["mcp.internal", "mcp.internal:9000"]);
        assert_eq!(c.allowed_origins, ["https://app.example"]);
        let c = parse(r#"token_file = "/etc/yoi/token""#).unwrap();
        assert_eq!(c.token_file, Some(PathBuf::from("/etc/yoi/token")));
    }

    #[test]
    fn an_unknown_key_is_named() {
        let e = error(r#"tokenfile = "/x""#);
        assert!(e.contains("unknown key `tokenfile`"), "{e}");
        assert!(e.contains("/ws/.yoi/config.toml"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let e = error(r#"listen = "localhost""#);
        assert!(e.contains("`listen` is `localhost`"), "{e}");
        let e = error("listen = 7717");
        assert!(e.contains("listen"), "{e}");
        let e = error(r#"allowed_hosts = ["http://mcp.internal/"]"#);
        assert!(e.contains("is a URL"), "{e}");
        let e = error(r#"allowed_hosts = ["a b"]"#);
        assert!(e.contains("`allowed_hosts` entry"), "{e}");
        let e = error(r#"allowed_origins = ["app.example"]"#);
        assert!(e.contains("is not an origin"), "{e}");
        let e = error(r#"allowed_origins = "https://app.example""#);
        assert!(e.contains("allowed_origins"), "{e}");
    }

    #[test]
    fn a_token_is_one_trimmed_printable_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  s3cret-token\n").unwrap();
        assert_eq!(read_token(&path).unwrap().value, "s3cret-token");
        assert_eq!(
            format!("{:?}", read_token(&path).unwrap()),
            "Token([redacted])"
        );
        for (content, expected) in [
            ("\n \n", "is empty"),
            ("two words", "contains spaces"),
            ("tök", "non-ASCII"),
        ] {
            std::fs::write(&path, content).unwrap();
            let e = read_token(&path).unwrap_err().to_string();
            assert!(e.contains(expected), "{content:?}: {e}");
            let token = content.trim();
            assert!(
                token.is_empty() || !e.contains(token),
                "the error quotes the token: {e}"
            );
        }
        std::fs::write(&path, "x".repeat(5000)).unwrap();
        let e = read_token(&path).unwrap_err().to_string();
        assert!(e.contains("larger than 4096 bytes"), "{e}");
        let e = read_token(&dir.path().join("absent"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read the token file"), "{e}");
        let e = read_token(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "t0ken").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read_token(&path).unwrap().warnings.is_empty());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warnings = read_token(&path).unwrap().warnings;
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("mode 644"), "{warnings:?}");
    }

    #[test]
    fn mcp_accepts_the_literal_address_listened_on_but_not_an_unspecified_one() {
        let c = parse(r#"allowed_hosts = ["mcp.internal"]"#).unwrap();
        let shown = |listen: &str| format!("{:?}", c.mcp_options(listen.parse().unwrap()));
        let public = shown("10.0.0.5:7717");
        assert!(public.contains("\"10.0.0.5\""), "{public}");
        assert!(public.contains("\"mcp.internal\""), "{public}");
        for (listen, ip) in [("0.0.0.0:7717", "0.0.0.0"), ("[::]:7717", "::")] {
            let options = shown(listen);
            assert!(!options.contains(&format!("\"{ip}\"")), "{options}");
            assert!(options.contains("\"mcp.internal\""), "{options}");
        }
    }
}
