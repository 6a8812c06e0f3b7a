//! [`Grants`]: everything one enablement allows, and [`NameGrant`], the
//! grant of surface names.
//!
//! Validation is one pass over every part ([`Grants::validate`]); a config
//! reader rejects the whole entry when it fails, so a plugin never runs with
//! part of what its grants say.

use serde::{Deserialize, Serialize};

use crate::{FsGrant, GrantError, HttpsGrant};

/// The grants of one enabled plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Tool names, or `["*"]` for every tool the manifest requests.
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    pub tools: NameGrant,
    /// Service names, or `["*"]` for every service the manifest requests.
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    #[schemars(
        description = "Service names, or `[\"*\"]` for every service the manifest requests."
    )]
    pub services: NameGrant,
    /// Ingress names, or `["*"]` for every ingress the manifest requests.
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    #[schemars(
        description = "Ingress names, or `[\"*\"]` for every ingress the manifest requests."
    )]
    pub ingresses: NameGrant,
    /// Outbound HTTP(S) allowed, one URL prefix and its methods each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(description = "Outbound HTTP(S) allowed, one URL prefix and its methods each.")]
    pub https: Vec<HttpsGrant>,
    /// File access allowed, one absolute root and its operations each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(description = "File access allowed, one absolute root and its operations each.")]
    pub fs: Vec<FsGrant>,
}

/// A list of granted names; `*` grants every name the manifest requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct NameGrant(pub Vec<String>);

impl NameGrant {
    /// The grant of every name the manifest requests (`["*"]`).
    pub fn all() -> Self {
        NameGrant(vec!["*".into()])
    }

    /// Whether `name` is granted, by name or by `*`.
    pub fn allows(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == "*" || n == name)
    }

    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn validate(&self, what: &str) -> Result<(), GrantError> {
        for name in &self.0 {
            if name != "*" && !yoi_manifest::is_valid_surface_name(name) {
                return Err(GrantError::invalid(format!(
                    "{what} name `{}` is not a valid name (or `*`)",
                    yoi_manifest::bounded(name, 80)
                )));
            }
        }
        Ok(())
    }
}

impl Grants {
    /// Check every part: names, https targets and their secret headers, fs grants.
    pub fn validate(&self) -> Result<(), GrantError> {
        self.tools.validate("tool")?;
        self.services.validate("service")?;
        self.ingresses.validate("ingress")?;
        for h in &self.https {
            h.target()?;
            for s in &h.secrets {
                s.validate()?;
            }
        }
        for f in &self.fs {
            f.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_grants() {
        assert!(NameGrant::all().allows("anything"));
        let g = NameGrant(vec!["echo".into()]);
        assert!(g.allows("echo") && !g.allows("other"));
        assert!(NameGrant(vec!["bad name".into()]).validate("tool").is_err());
    }
}
