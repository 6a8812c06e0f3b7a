//! Per-call limits. Every field has a safe default; all are configurable
//! (`[limits]` in `.yoi/config.toml`).

use std::time::Duration;

use serde::Deserialize;

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
    /// Read `[limits]` from a config table; unknown keys are errors.
    pub fn from_table(table: &toml::Table) -> Result<Limits, String> {
        toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| format!("invalid `[limits]`: {}", e.message()))
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

    #[test]
    fn limits_from_config() {
        let t: toml::Table = "deadline_ms = 250\nmemory_bytes = 1048576".parse().unwrap();
        let l = Limits::from_table(&t).unwrap();
        assert_eq!(l.deadline, Duration::from_millis(250));
        assert_eq!(l.memory_bytes, 1 << 20);
        assert_eq!(l.max_input_bytes, Limits::default().max_input_bytes);
        assert!(Limits::from_table(&"surprise = 1".parse().unwrap()).is_err());
        assert!(Limits::from_table(&"deadline_ms = 0".parse().unwrap()).is_err());
    }
}
