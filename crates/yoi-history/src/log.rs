//! The write-ahead log in front of the history database.
//!
//! Each process that writes history owns one log under `<db>-log/`: a lock
//! file `<stem>.lock`, held (`flock`) for as long as the process has the
//! history open, and two segment files `<stem>.0.log` and `<stem>.1.log`.
//! Events are appended to the current segment with one `write(2)` each; the
//! background writer swaps segments, commits what the old one holds to
//! SQLite in one transaction, then truncates it.
//!
//! Anyone may copy any log into the database at any time: rows carry their
//! final ids and are inserted with `INSERT OR IGNORE`, so copying twice
//! changes nothing. A log whose lock can be taken belongs to a process that
//! is gone; whoever finds it copies it and deletes it.
//!
//! A frame is `len: u32 LE`, `crc32(body): u32 LE`, then `len` bytes of body.
//! A short or corrupt frame ends the segment: it can only be the tail of a
//! write cut off by a crash, and nothing after it was acknowledged.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::event::{
    Event, EventKind, INVALID_NOTICE_KIND, MAX_RECORDED_BYTES, MAX_RECORDED_NAME_BYTES, Row,
    is_valid_notice_kind,
};

/// Largest body accepted when reading a segment back. Recorded texts are
/// bounded, so a real frame is far smaller; anything larger is corruption.
const MAX_FRAME: usize = 4 << 20;

/// The log of this process.
#[derive(Debug)]
pub(crate) struct Log {
    dir: PathBuf,
    stem: String,
    /// Held for the life of the log; proves the owner is alive.
    _lock: File,
    segments: Arc<[File; 2]>,
    current: usize,
}

/// A segment that was current, to empty once what it holds is committed.
/// Truncating it does not touch the other segment, so it needs no lock.
#[derive(Debug)]
pub(crate) struct Segment(Arc<[File; 2]>, usize);

impl Segment {
    pub(crate) fn truncate(&self) -> std::io::Result<()> {
        self.0[self.1].set_len(0)
    }
}

impl Log {
    /// Create a fresh log in `dir`.
    pub(crate) fn create(dir: &Path) -> std::io::Result<Log> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        crate::private::dir(dir)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let stem = format!(
            "{}-{nanos:x}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // Lock under a temporary name, then rename: a sweeper never sees an
        // unlocked `.lock` of a live process.
        let tmp = dir.join(format!("{stem}.tmp"));
        let lock = crate::private::options()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::Error(e) => e,
            std::fs::TryLockError::WouldBlock => ErrorKind::WouldBlock.into(),
        })?;
        let open = |i: usize| {
            crate::private::options()
                .append(true)
                .create(true)
                .truncate(false)
                .open(segment_path(dir, &stem, i))
        };
        let segments = Arc::new([open(0)?, open(1)?]);
        std::fs::rename(&tmp, dir.join(format!("{stem}.lock")))?;
        Ok(Log {
            dir: dir.to_owned(),
            stem,
            _lock: lock,
            segments,
            current: 0,
        })
    }

    /// Append whole frames to the current segment with one write.
    pub(crate) fn write(&self, frames: &[u8]) -> std::io::Result<()> {
        (&self.segments[self.current]).write_all(frames)
    }

    /// Direct further appends to the other (empty) segment; returns the
    /// one that was current.
    pub(crate) fn swap(&mut self) -> Segment {
        let old = self.current;
        self.current = 1 - old;
        Segment(self.segments.clone(), old)
    }

    pub(crate) fn stem(&self) -> &str {
        &self.stem
    }

    /// Remove this log's files; only once everything is in the database.
    pub(crate) fn remove(self) {
        for i in 0..2 {
            let _ = std::fs::remove_file(segment_path(&self.dir, &self.stem, i));
        }
        let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.stem)));
    }
}

fn segment_path(dir: &Path, stem: &str, i: usize) -> PathBuf {
    dir.join(format!("{stem}.{i}.log"))
}

/// A log found in the directory, other than the caller's own.
pub(crate) struct Found {
    /// The bytes of its two segments, to [`parse`].
    pub(crate) segments: [Vec<u8>; 2],
    /// Whether its owner is gone; the caller removes it once the rows are in.
    pub(crate) orphan: Option<Orphan>,
}

/// The lock of a dead process's log, held while its rows are copied.
pub(crate) struct Orphan {
    dir: PathBuf,
    stem: String,
    _lock: File,
}

impl Orphan {
    pub(crate) fn remove(self) {
        for i in 0..2 {
            let _ = std::fs::remove_file(segment_path(&self.dir, &self.stem, i));
        }
        let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.stem)));
    }
}

/// Read every log in `dir` except `own`.
pub(crate) fn scan(dir: &Path, own: Option<&str>) -> Vec<Found> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".lock")) else {
            continue;
        };
        if Some(stem) == own {
            continue;
        }
        let Ok(lock) = OpenOptions::new().write(true).open(entry.path()) else {
            continue;
        };
        let orphan = lock.try_lock().is_ok().then(|| Orphan {
            dir: dir.to_owned(),
            stem: stem.to_owned(),
            _lock: lock,
        });
        let segments = [0, 1].map(|i| read_segment(&segment_path(dir, stem, i)));
        found.push(Found { segments, orphan });
    }
    found
}

/// The bytes of one segment; none if it is gone (its owner removed it).
fn read_segment(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .is_err()
    {
        bytes.clear();
    }
    bytes
}

/// Decode `bytes`, a run of frames, into `rows`; true if it ended in a
/// frame that did not check out. Checksums are checked if `verify` (frames
/// read back from a file, not the ones this process keeps in memory).
pub(crate) fn parse<'a>(bytes: &'a [u8], verify: bool, rows: &mut Vec<Row<'a>>) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        let Some(header) = bytes.get(at..at + 8) else {
            return true;
        };
        let len = u32::from_le_bytes(header[..4].try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(header[4..].try_into().unwrap_or_default());
        let Some(body) = bytes.get(at + 8..at + 8 + len).filter(|_| len <= MAX_FRAME) else {
            return true;
        };
        if verify && crc32fast::hash(body) != crc {
            return true;
        }
        match decode(body) {
            Some(row) => rows.push(row),
            None => return true,
        }
        at += 8 + len;
    }
    false
}

const F_CALL_ID: u16 = 1;
const F_DURATION: u16 = 1 << 1;
const F_TOOL: u16 = 1 << 2;
const F_PLUGIN: u16 = 1 << 3;
const F_DIGEST: u16 = 1 << 4;
const F_INPUT: u16 = 1 << 5;
const F_OUTPUT: u16 = 1 << 6;
const F_ERROR_KIND: u16 = 1 << 7;
const F_MESSAGE: u16 = 1 << 8;
const F_NOTICE_KIND: u16 = 1 << 9;

/// Append one frame for event `e`, numbered `id` at `ts_ms`, to `out`.
/// Every text is bounded: long inputs, outputs and messages are cut to
/// [`MAX_RECORDED_BYTES`], names (the session, tool, plugin, digest, error
/// kind) to [`MAX_RECORDED_NAME_BYTES`], each with a marker; a notice kind
/// outside its alphabet is recorded as [`INVALID_NOTICE_KIND`].
pub(crate) fn frame(out: &mut Vec<u8>, id: i64, ts_ms: i64, e: &Event<'_>) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    let notice_kind = e.notice_kind.map(|k| {
        if is_valid_notice_kind(k) {
            k
        } else {
            INVALID_NOTICE_KIND
        }
    });
    let texts = [
        (F_TOOL, e.tool),
        (F_PLUGIN, e.plugin),
        (F_DIGEST, e.digest),
        (F_INPUT, e.input),
        (F_OUTPUT, e.output),
        (F_ERROR_KIND, e.error_kind),
        (F_MESSAGE, e.message),
        (F_NOTICE_KIND, notice_kind),
    ];
    let mut flags = 0;
    flags |= if e.call_id.is_some() { F_CALL_ID } else { 0 };
    flags |= if e.duration_us.is_some() {
        F_DURATION
    } else {
        0
    };
    for (flag, text) in &texts {
        flags |= if text.is_some() { *flag } else { 0 };
    }
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&ts_ms.to_le_bytes());
    out.push(e.kind as u8);
    out.extend_from_slice(&flags.to_le_bytes());
    if let Some(c) = e.call_id {
        out.extend_from_slice(&c.to_le_bytes());
    }
    if let Some(d) = e.duration_us {
        out.extend_from_slice(&(d.min(i64::MAX as u64) as i64).to_le_bytes());
    }
    put_bounded(out, e.session, MAX_RECORDED_NAME_BYTES);
    for (flag, text) in texts {
        if let Some(t) = text {
            let max = if matches!(flag, F_INPUT | F_OUTPUT | F_MESSAGE) {
                MAX_RECORDED_BYTES
            } else {
                MAX_RECORDED_NAME_BYTES
            };
            put_bounded(out, t, max);
        }
    }
    let len = (out.len() - start - 8) as u32;
    let crc = crc32fast::hash(&out[start + 8..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

fn put_bounded(out: &mut Vec<u8>, s: &str, max: usize) {
    if s.len() <= max {
        return put_text(out, s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let marker = format!("…[{} bytes truncated]", s.len() - end);
    out.extend_from_slice(&((end + marker.len()) as u32).to_le_bytes());
    out.extend_from_slice(&s.as_bytes()[..end]);
    out.extend_from_slice(marker.as_bytes());
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn decode(body: &[u8]) -> Option<Row<'_>> {
    let mut r = Reader(body);
    let id = r.i64()?;
    let ts_ms = r.i64()?;
    let kind = EventKind::from_u8(r.take(1)?[0])?;
    let flags = u16::from_le_bytes(r.take(2)?.try_into().ok()?);
    let call_id = if flags & F_CALL_ID != 0 {
        Some(r.i64()?)
    } else {
        None
    };
    let duration_us = if flags & F_DURATION != 0 {
        Some(r.i64()?)
    } else {
        None
    };
    let session = r.text()?;
    let mut opt = |flag| {
        if flags & flag != 0 {
            r.text().map(Some)
        } else {
            Some(None)
        }
    };
    let row = Row {
        id,
        ts_ms,
        kind,
        call_id,
        duration_us,
        session,
        tool: opt(F_TOOL)?,
        plugin: opt(F_PLUGIN)?,
        digest: opt(F_DIGEST)?,
        input: opt(F_INPUT)?,
        output: opt(F_OUTPUT)?,
        error_kind: opt(F_ERROR_KIND)?,
        message: opt(F_MESSAGE)?,
        notice_kind: opt(F_NOTICE_KIND)?,
    };
    r.0.is_empty().then_some(row)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(call_id: i64) -> Event<'static> {
        Event {
            call_id: Some(call_id),
            duration_us: Some(42),
            tool: Some("echo"),
            digest: Some("sha256:ab"),
            output: Some("{\"é\":1}"),
            ..Event::new("s", EventKind::ToolResult)
        }
    }

    fn row(id: i64) -> Row<'static> {
        Row {
            id,
            ts_ms: 1_700_000_000_000,
            kind: EventKind::ToolResult,
            call_id: Some(id - 1),
            duration_us: Some(42),
            session: "s",
            tool: Some("echo"),
            plugin: None,
            digest: Some("sha256:ab"),
            input: None,
            output: Some("{\"é\":1}"),
            error_kind: None,
            message: None,
            notice_kind: None,
        }
    }

    fn rows_of(segments: &[Vec<u8>]) -> (Vec<Row<'_>>, bool) {
        let mut rows = Vec::new();
        let torn = segments
            .iter()
            .fold(false, |torn, s| parse(s, true, &mut rows) | torn);
        (rows, torn)
    }

    fn write(log: &Log, id: i64) {
        let mut buf = Vec::new();
        frame(&mut buf, id, 1_700_000_000_000, &event(id - 1));
        log.write(&buf).unwrap();
    }

    #[test]
    fn frames_round_trip_and_a_torn_tail_ends_the_segment() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(dir.path()).unwrap();
        write(&log, 1);
        write(&log, 2);
        let path = segment_path(dir.path(), log.stem(), 0);
        let whole = read_segment(&path);
        let (rows, torn) = rows_of(std::slice::from_ref(&whole));
        assert!(!torn);
        assert_eq!(rows, vec![row(1), row(2)]);

        // A crash in the middle of the third write.
        let mut bytes = whole.clone();
        bytes.extend_from_slice(&whole[..whole.len() / 2 - 3]);
        let (rows, torn) = rows_of(std::slice::from_ref(&bytes));
        assert!(torn);
        assert_eq!(rows.len(), 2);

        // A flipped bit in a body.
        let mut bytes = whole.clone();
        bytes[20] ^= 1;
        let (rows, torn) = rows_of(std::slice::from_ref(&bytes));
        assert!(torn);
        assert!(rows.is_empty());
    }

    #[test]
    fn long_texts_are_cut_on_a_char_boundary_with_a_marker() {
        let long = format!("{}é", "x".repeat(MAX_RECORDED_BYTES - 1));
        let mut buf = Vec::new();
        frame(
            &mut buf,
            1,
            0,
            &Event {
                input: Some(&long),
                ..Event::new("s", EventKind::Notification)
            },
        );
        let mut rows = Vec::new();
        assert!(!parse(&buf, true, &mut rows));
        let input = rows[0].input.unwrap();
        assert_eq!(
            input.len(),
            MAX_RECORDED_BYTES - 1 + "…[2 bytes truncated]".len()
        );
        assert!(input.ends_with("x…[2 bytes truncated]"));
    }

    #[test]
    fn a_live_log_is_read_but_not_claimed_and_a_dead_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let live = Log::create(dir.path()).unwrap();
        write(&live, 7);
        let found = scan(dir.path(), None);
        assert_eq!(found.len(), 1);
        assert_eq!(rows_of(&found[0].segments), (vec![row(7)], false));
        assert!(found[0].orphan.is_none());
        assert!(scan(dir.path(), Some(live.stem())).is_empty());

        // Dropping the log without removing it is what a killed process leaves.
        drop(live);
        let mut found = scan(dir.path(), None);
        assert_eq!(rows_of(&found[0].segments), (vec![row(7)], false));
        found.pop().unwrap().orphan.expect("unlocked").remove();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
