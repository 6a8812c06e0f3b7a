//! Decompressing one entry while measuring it.
//!
//! The header's sizes are never trusted to bound work: output is read in
//! chunks and never more than one byte past the smaller of the per-file limit
//! and what is left of the package's expanded-size budget (the equivalent of a
//! `take(limit + 1)`), and the ratio is computed against the compressed bytes
//! the inflater actually consumed. Only after the stream ends are the declared
//! size and CRC-32 compared with what was produced.
//!
//! Deflate is decoded here with `flate2` rather than through the `zip` crate's
//! reader, which caps output at the declared size and reports an overrun only
//! as an opaque I/O error; doing it here keeps every limit in one place and
//! every failure a typed error.

use std::io::{self, Read};

use flate2::Crc;
use flate2::read::DeflateDecoder;
use zip::CompressionMethod;

use super::Limits;
use crate::error::PackageError;
use crate::limits::bounded;
use crate::path::PackagePath;

const CHUNK_BYTES: usize = 64 * 1024;

/// The compressed bytes of one entry, as stored or inflated.
enum Decoder<R: Read> {
    Stored { reader: R, consumed: u64 },
    Deflated(DeflateDecoder<R>),
}

impl<R: Read> Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Stored { reader, consumed } => {
                let n = reader.read(buf)?;
                *consumed += n as u64;
                Ok(n)
            }
            Self::Deflated(decoder) => decoder.read(buf),
        }
    }

    /// Compressed bytes consumed so far.
    fn consumed(&self) -> u64 {
        match self {
            Self::Stored { consumed, .. } => *consumed,
            Self::Deflated(decoder) => decoder.total_in(),
        }
    }
}

/// Read the content of a regular-file entry whose metadata already passed
/// [`check_entry`](super::check_entry). `expanded` is what earlier entries
/// produced.
pub(super) fn read<R: Read>(
    entry: &mut zip::read::ZipFile<'_, R>,
    path: &PackagePath,
    limits: &Limits,
    expanded: u64,
) -> Result<Vec<u8>, PackageError> {
    let shown = || bounded(path.as_str());
    let budget = limits.expanded_bytes.saturating_sub(expanded);
    let over = |produced: u64| {
        if produced > limits.file_bytes {
            PackageError::FileTooLarge {
                path: shown(),
                limit: limits.file_bytes,
            }
        } else {
            PackageError::ExpandedTooLarge {
                path: shown(),
                limit: limits.expanded_bytes,
            }
        }
    };
    let declared = entry.size();
    let cap = limits.file_bytes.min(budget);
    if declared > cap {
        return Err(over(declared));
    }
    let expected_crc = entry.crc32();
    let mut decoder = match entry.compression() {
        CompressionMethod::Deflated => Decoder::Deflated(DeflateDecoder::new(entry)),
        _ => Decoder::Stored {
            reader: entry,
            consumed: 0,
        },
    };

    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK_BYTES];
    let mut crc = Crc::new();
    loop {
        let room = (cap + 1 - out.len() as u64).min(CHUNK_BYTES as u64) as usize;
        let n = match decoder.read(&mut chunk[..room]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(PackageError::CorruptEntry {
                    path: shown(),
                    reason: bounded(&e.to_string()),
                });
            }
        };
        out.extend_from_slice(&chunk[..n]);
        crc.update(&chunk[..n]);
        let produced = out.len() as u64;
        if produced > cap {
            return Err(over(produced));
        }
        if produced > limits.ratio_min_bytes
            && produced > decoder.consumed().saturating_mul(limits.ratio)
        {
            return Err(PackageError::CompressionRatio {
                path: shown(),
                limit: limits.ratio,
            });
        }
    }

    let actual = out.len() as u64;
    if actual != declared {
        return Err(PackageError::SizeMismatch {
            path: shown(),
            declared,
            actual,
        });
    }
    if crc.sum() != expected_crc {
        return Err(PackageError::CorruptEntry {
            path: shown(),
            reason: format!(
                "crc-32 is `{:08x}`, header says `{expected_crc:08x}`",
                crc.sum()
            ),
        });
    }
    Ok(out)
}
