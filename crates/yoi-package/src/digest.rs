//! The package digest: a sha256 over normalized content, never over ZIP bytes.
//!
//! Input to the hash, in order:
//!
//! 1. the format tag `yoi-package-digest-v1\0`;
//! 2. for each file in path order (byte-wise on the UTF-8 path): the path's
//!    length as a little-endian `u64`, the path bytes, the content length as a
//!    little-endian `u64`, and the sha256 of the content.
//!
//! Lengths are prefixed so no two different file sets produce the same input.
//! Entry order, timestamps, compression and attributes in the archive cannot
//! change the digest; one changed byte of content or path does.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::error::PackageError;
use crate::files::PackageFiles;
use crate::limits::bounded;

/// Domain-separation tag; a new digest scheme gets a new tag.
const FORMAT_TAG: &[u8] = b"yoi-package-digest-v1\0";
const PREFIX: &str = "sha256:";

/// A sha256 package digest, shown as `sha256:<64 lowercase hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Wrap raw sha256 output.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits, without the `sha256:` prefix; used as the
    /// cache directory name.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The digest of a package's files.
pub fn digest_files(files: &PackageFiles) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(FORMAT_TAG);
    for (path, content) in files.iter() {
        let path = path.as_str().as_bytes();
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path);
        hasher.update((content.len() as u64).to_le_bytes());
        hasher.update(Sha256::digest(content));
    }
    Digest(hasher.finalize().into())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Digest {
    type Err = PackageError;

    /// Strict: exactly `sha256:` then 64 lowercase hex digits; no whitespace,
    /// no uppercase, no other algorithm.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || PackageError::InvalidDigest {
            value: bounded(text),
        };
        let hex_part = text.strip_prefix(PREFIX).ok_or_else(invalid)?;
        let lowercase_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hex_part.len() != 64 || !hex_part.bytes().all(lowercase_hex) {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| invalid())?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::PackagePath;

    fn files(entries: &[(&str, &[u8])]) -> PackageFiles {
        entries
            .iter()
            .map(|(path, content)| (PackagePath::new(path).unwrap(), content.to_vec()))
            .collect()
    }

    #[test]
    fn empty_package_digest_is_the_hash_of_the_tag() {
        let expected: [u8; 32] = Sha256::digest(FORMAT_TAG).into();
        assert_eq!(digest_files(&PackageFiles::new()), Digest(expected));
    }

    #[test]
    fn digest_follows_the_documented_layout() {
        let mut input = FORMAT_TAG.to_vec();
        input.extend(5u64.to_le_bytes());
        input.extend(b"a.txt");
        input.extend(2u64.to_le_bytes());
        input.extend(Sha256::digest(b"hi"));
        let expected: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(digest_files(&files(&[("a.txt", b"hi")])), Digest(expected));
    }

    #[test]
    fn moving_bytes_between_path_and_content_changes_the_digest() {
        let one = digest_files(&files(&[("ab", b"c")]));
        let two = digest_files(&files(&[("a", b"bc")]));
        assert_ne!(one, two);
    }

    #[test]
    fn display_and_parse_round_trip() {
        let digest = digest_files(&files(&[("x", b"y")]));
        let shown = digest.to_string();
        assert!(shown.starts_with("sha256:"));
        assert_eq!(shown.len(), 7 + 64);
        assert_eq!(shown.parse::<Digest>().unwrap(), digest);
        assert_eq!(digest.hex(), shown["sha256:".len()..]);
    }

    #[test]
    fn parse_is_strict() {
        let good = format!("sha256:{}", "ab".repeat(32));
        assert!(good.parse::<Digest>().is_ok());
        for bad in [
            "ab".repeat(32),
            format!("sha256:{}", "AB".repeat(32)),
            format!("sha256:{}", "ab".repeat(31)),
            format!("sha256:{}0", "ab".repeat(32)),
            format!("sha256:{} ", "ab".repeat(32)),
            format!("SHA256:{}", "ab".repeat(32)),
            format!("sha512:{}", "ab".repeat(32)),
            format!("sha256:{}+g", "ab".repeat(31)),
        ] {
            let err = bad.parse::<Digest>().unwrap_err();
            assert!(
                matches!(err, PackageError::InvalidDigest { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn serde_uses_the_display_string() {
        let digest = digest_files(&files(&[("x", b"y")]));
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"{digest}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
        assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
    }
}
