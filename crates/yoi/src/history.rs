//! `yoi history`: what was called, with what, and what came back.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use yoi_history::EventKind;

use crate::context::Context;
use crate::output;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many of the most recent events to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print `{"events": [...]}`.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let history = ctx.history()?;
    let events = history.recent(args.limit)?;
    // Opening the history copies in the logs of dead processes; what went
    // wrong with them is shown here.
    output::history_problems(&history);
    if args.json {
        output::json(&json!({ "events": events }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if events.is_empty() {
        output::stderr!("no history yet in `{}`", ctx.workspace.display());
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let what = match e.kind {
                EventKind::ToolCall => e.input.clone().unwrap_or_default(),
                EventKind::ToolResult => e.output.clone().unwrap_or_default(),
                // A plugin's notice: its kind and data, apart from the
                // host's message.
                EventKind::Notification if e.notice_kind.is_some() => format!(
                    "plugin notice `{}`: {}",
                    e.notice_kind.as_deref().unwrap_or_default(),
                    e.output.as_deref().unwrap_or_default()
                ),
                _ => format!(
                    "{}{}",
                    e.error_kind
                        .as_deref()
                        .map(|k| format!("{k}: "))
                        .unwrap_or_default(),
                    e.message.clone().unwrap_or_default()
                ),
            };
            vec![
                e.id.to_string(),
                format_ts(e.ts_ms),
                serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                e.tool.clone().unwrap_or_else(|| "-".into()),
                e.plugin.clone().unwrap_or_else(|| "-".into()),
                e.duration_us
                    .map(|d| format!("{:.2}ms", d as f64 / 1000.0))
                    .unwrap_or_else(|| "-".into()),
                yoi_manifest::bounded(&what, 100),
            ]
        })
        .collect();
    output::print(&output::table(
        &[
            "ID",
            "TIME (UTC)",
            "EVENT",
            "TOOL",
            "PLUGIN",
            "TOOK",
            "DATA",
        ],
        &rows,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, without a date library.
fn format_ts(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::format_ts(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_ts(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(super::format_ts(1_795_000_000_000), "2026-11-18 11:06:40");
    }
}
