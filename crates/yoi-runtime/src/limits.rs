//! Per-call limits. Every field has a safe default and an upper bound
//! ([`Limits::MAX`]); all are configurable (`[limits]` in `.yoi/config.toml`).
//!
//! The bounds are what keep arithmetic on a limit from overflowing, so the
//! uses need no checks of their own: [`Limits::from_table`] and
//! [`Runtime::new`](crate::Runtime::new) refuse a value past its bound, and
//! the runtime keeps the only copy it uses. A deadline is then at most an
//! hour, so `Instant::now() + deadline + HOST_GRACE` cannot overflow; memory
//! and table caps are only compared, never added to; and the byte sums over
//! what a guest returns or prints saturate instead of relying on them.

use std::time::Duration;

use serde::Deserialize;

use crate::RuntimeError;

/// The largest memory a 32-bit wasm memory can address: 4 GiB.
const MAX_MEMORY_BYTES: u64 = 1 << 32;

/// Bounds applied to every plugin call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Wall-clock time for one call, guest code and host calls together.
    #[serde(with = "millis", rename = "deadline_ms")]
    pub deadline: Duration,
    /// Largest linear memory a guest may grow to, in bytes.
    pub memory_bytes: usize,
    /// Largest table a guest may grow to, in elements.
    pub table_elements: usize,
    /// Largest tool input accepted, in bytes of JSON.
    pub max_input_bytes: usize,
    /// Largest tool output accepted, in bytes (all content together).
    pub max_output_bytes: usize,
    /// Captured guest stdout and stderr kept per call, in bytes each.
    pub max_diagnostic_bytes: usize,
    /// Longest error message kept from a guest, in bytes.
    pub max_error_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(10),
            memory_bytes: 256 << 20,
            table_elements: 100_000,
            max_input_bytes: 1 << 20,
            max_output_bytes: 4 << 20,
            max_diagnostic_bytes: 16 << 10,
            max_error_message_bytes: 4 << 10,
        }
    }
}

impl Limits {
    /// The largest value of each limit: generous, but each one something a
    /// host can hold and a caller can wait for. A deadline of an hour; the
    /// 4 GiB a 32-bit wasm memory can address; 10 000 000 table elements
    /// (the implementation limit of web engines); 64 MiB of input or output;
    /// 16 MiB of each captured stream; 1 MiB of error message.
    pub const MAX: Limits = Limits {
        deadline: Duration::from_secs(60 * 60),
        memory_bytes: if usize::BITS >= 64 {
            MAX_MEMORY_BYTES as usize
        } else {
            usize::MAX
        },
        table_elements: 10_000_000,
        max_input_bytes: 64 << 20,
        max_output_bytes: 64 << 20,
        max_diagnostic_bytes: 16 << 20,
        max_error_message_bytes: 1 << 20,
    };

    /// Read `[limits]` from a config table; unknown keys, and values past
    /// their bound in [`Limits::MAX`], are errors.
    pub fn from_table(table: &toml::Table) -> Result<Limits, RuntimeError> {
        let limits: Limits =
            toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| RuntimeError::InvalidLimits {
                    message: e.message().to_owned(),
                })?;
        limits.check()?;
        Ok(limits)
    }

    /// Refuse the first limit past its bound in [`Limits::MAX`].
    pub(crate) fn check(&self) -> Result<(), RuntimeError> {
        let bounds = self.keyed().into_iter().zip(Limits::MAX.keyed());
        for ((key, value), (_, max)) in bounds {
            if value > max {
                return Err(RuntimeError::LimitTooLarge { key, value, max });
            }
        }
        Ok(())
    }

    /// Each limit as `[limits]` names and counts it.
    fn keyed(&self) -> [(&'static str, u64); 7] {
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        // Rounded up, so that a deadline a fraction of a millisecond past
        // its bound is past it in milliseconds too.
        let ms = self.deadline.as_nanos().div_ceil(1_000_000);
        [
            ("deadline_ms", u64::try_from(ms).unwrap_or(u64::MAX)),
            ("memory_bytes", n(self.memory_bytes)),
            ("table_elements", n(self.table_elements)),
            ("max_input_bytes", n(self.max_input_bytes)),
            ("max_output_bytes", n(self.max_output_bytes)),
            ("max_diagnostic_bytes", n(self.max_diagnostic_bytes)),
            ("max_error_message_bytes", n(self.max_error_message_bytes)),
        ]
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = u64::deserialize(d)?;
        if ms == 0 {
            return Err(serde::de::Error::custom("deadline_ms must be positive"));
        }
        Ok(Duration::from_millis(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_text(text: &str) -> Result<Limits, RuntimeError> {
        Limits::from_table(&text.parse().unwrap())
    }

    #[test]
    fn limits_from_config() {
        let l = from_text("deadline_ms = 250\nmemory_bytes = 1048576").unwrap();
        assert_eq!(l.deadline, Duration::from_millis(250));
        assert_eq!(l.memory_bytes, 1 << 20);
        assert_eq!(l.max_input_bytes, Limits::default().max_input_bytes);
        assert!(from_text("surprise = 1").is_err());
        assert!(from_text("deadline_ms = 0").is_err());
    }

    /// `18446744073709551615` (`u64::MAX`) is past what a TOML integer can
    /// hold, so the config parser refuses it before `[limits]` is read; the
    /// largest deadline that parses is `i64::MAX` ms, and the bound refuses it.
    #[test]
    fn an_endless_deadline_is_refused() {
        let err = "deadline_ms = 18446744073709551615"
            .parse::<toml::Table>()
            .unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");

        let err = from_text(&format!("deadline_ms = {}", i64::MAX)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `[limits]`: `deadline_ms` is `9223372036854775807`, past its upper bound `3600000`"
        );
    }

    #[test]
    fn every_limit_is_accepted_up_to_its_bound_and_refused_past_it() {
        for (key, max) in Limits::MAX.keyed() {
            let at = from_text(&format!("{key} = {max}")).unwrap();
            assert!(at.keyed().contains(&(key, max)), "{key}");
            let past = max + 1;
            match from_text(&format!("{key} = {past}")) {
                Err(RuntimeError::LimitTooLarge {
                    key: k,
                    value,
                    max: m,
                }) => {
                    assert_eq!((k, value, m), (key, past, max));
                }
                other => panic!("{key} = {past}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_defaults_are_within_the_bounds() {
        Limits::default().check().unwrap();
        Limits::MAX.check().unwrap();
    }

    #[test]
    fn a_deadline_a_fraction_past_its_bound_is_refused() {
        let limits = Limits {
            deadline: Limits::MAX.deadline + Duration::from_nanos(1),
            ..Limits::default()
        };
        assert!(matches!(
            limits.check(),
            Err(RuntimeError::LimitTooLarge {
                key: "deadline_ms",
                value: 3_600_001,
                ..
            })
        ));
    }
}
