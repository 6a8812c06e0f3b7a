//! `notes`: text notes in one granted directory, through the `fs` host API.
//!
//! The plugin works on the first `fs` root its enablement grants. It never
//! learns where that directory is on the host; the host refuses `..`,
//! absolute paths and symlinks that lead outside, and checks each operation
//! (`read`, `list`, `write`) against the grant separately.

use serde::{Deserialize, Serialize};
use yoi_pdk::fs::{self, EntryKind};
use yoi_pdk::{Json, ToolError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathInput {
    pub path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListInput {
    #[serde(default = "dot")]
    pub path: String,
}

fn dot() -> String {
    ".".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteInput {
    pub path: String,
    pub content: String,
}

#[derive(Debug, Serialize)]
pub struct Note {
    pub path: String,
    pub content: String,
}

#[derive(Debug, Serialize)]
pub struct Written {
    pub path: String,
    pub bytes: usize,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub kind: &'static str,
    pub size: u64,
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub path: String,
    pub entries: Vec<Entry>,
}

/// Reads a note as UTF-8 text.
pub fn read_file(input: PathInput) -> Result<Json<Note>, ToolError> {
    let content = fs::first_root()?.read_to_string(&input.path)?;
    Ok(Json(Note {
        path: input.path,
        content,
    }))
}

/// Creates or atomically replaces a note.
pub fn write_file(input: WriteInput) -> Result<Json<Written>, ToolError> {
    fs::first_root()?.write(&input.path, input.content.as_bytes())?;
    Ok(Json(Written {
        path: input.path,
        bytes: input.content.len(),
    }))
}

/// Lists a directory, sorted by name.
pub fn list_dir(input: ListInput) -> Result<Json<Listing>, ToolError> {
    let entries = fs::first_root()?
        .list_dir(&input.path)?
        .into_iter()
        .map(|e| Entry {
            name: e.name,
            kind: match e.kind {
                EntryKind::File => "file",
                EntryKind::Dir => "dir",
                EntryKind::Symlink => "symlink",
                EntryKind::Other => "other",
            },
            size: e.size,
        })
        .collect();
    Ok(Json(Listing {
        path: input.path,
        entries,
    }))
}

yoi_pdk::export_tools!(read_file, write_file, list_dir);
