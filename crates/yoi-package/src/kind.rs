//! Which kind of WebAssembly binary an artifact is, from its header alone.
//!
//! The manifest chooses the runtime kind; these eight bytes only confirm it, so
//! a core module named as a component (or the reverse) fails closed before any
//! engine sees it. Nothing is parsed past the header and nothing is executed.

use std::fmt;

/// The WebAssembly binary magic, `\0asm`.
const MAGIC: [u8; 4] = *b"\0asm";
/// Core module, binary format version 1.
const CORE_VERSION: [u8; 4] = [0x01, 0x00, 0x00, 0x00];
/// Component model binary: version `0x000d`, layer 1.
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];

/// The kind of a WebAssembly binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryKind {
    /// A core WebAssembly module (version 1).
    CoreModule,
    /// A component-model component (layer 1).
    Component,
}

impl BinaryKind {
    /// A short human name: `core module` or `component`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CoreModule => "core module",
            Self::Component => "component",
        }
    }
}

impl fmt::Display for BinaryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of `bytes` from its 8-byte header, or `None` when it is not a
/// WebAssembly binary of a known version.
pub fn detect(bytes: &[u8]) -> Option<BinaryKind> {
    let header = bytes.get(..8)?;
    let (magic, version) = header.split_at(4);
    if magic != MAGIC {
        return None;
    }
    match <[u8; 4]>::try_from(version).ok()? {
        CORE_VERSION => Some(BinaryKind::CoreModule),
        COMPONENT_VERSION => Some(BinaryKind::Component),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_core_modules_and_components() {
        assert_eq!(detect(b"\0asm\x01\0\0\0"), Some(BinaryKind::CoreModule));
        assert_eq!(
            detect(b"\0asm\x0d\0\x01\0rest"),
            Some(BinaryKind::Component)
        );
    }

    #[test]
    fn rejects_anything_else() {
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"\0asm\x01\0\0"), None, "truncated header");
        assert_eq!(detect(b"\0asm\x02\0\0\0"), None, "unknown core version");
        assert_eq!(
            detect(b"\0asm\x0d\0\x02\0"),
            None,
            "unknown component layer"
        );
        assert_eq!(detect(b"\0ASM\x01\0\0\0"), None, "wrong magic");
        assert_eq!(detect(b"\x7fELF\x02\x01\x01\0"), None);
    }

    #[test]
    fn detects_real_wat_output() {
        let module = wat::parse_str("(module)").unwrap();
        assert_eq!(detect(&module), Some(BinaryKind::CoreModule));
        let component = wat::parse_str("(component)").unwrap();
        assert_eq!(detect(&component), Some(BinaryKind::Component));
    }
}
