//! The bearer-token guard: the one check behind `/mcp`, `/status` and
//! `/ingress` when `[serve] token_file` is set.
//!
//! A request passes only with `Authorization: Bearer <token>` (scheme in any
//! case, surrounding spaces ignored). The check compares SHA-256 digests in
//! constant time, so neither the token nor its length leaks through timing,
//! and the token itself is not kept: only its digest is. Every refusal is the
//! same 401 JSON error with `WWW-Authenticate: Bearer`, whichever route it
//! guards.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::routes::error;

/// Requires `Authorization: Bearer <token>` on the routes it guards.
#[derive(Clone)]
pub struct BearerGuard {
    expected: Arc<[u8; 32]>,
}

impl std::fmt::Debug for BearerGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerGuard([redacted])")
    }
}

impl BearerGuard {
    /// A guard that accepts exactly `token`.
    pub fn new(token: &str) -> BearerGuard {
        BearerGuard {
            expected: Arc::new(digest(token.as_bytes())),
        }
    }

    /// Whether these request headers carry the token.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return false;
        };
        let Some((scheme, token)) = value.as_bytes().split_first_chunk::<7>() else {
            return false;
        };
        scheme.eq_ignore_ascii_case(b"bearer ")
            && bool::from(digest(token.trim_ascii()).ct_eq(&*self.expected))
    }

    /// `router` with every one of its routes behind this guard (an
    /// unmatched path stays the outer router's 404).
    pub(crate) fn protect<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        router.route_layer(middleware::from_fn_with_state(self.clone(), require))
    }
}

async fn require(State(guard): State<BearerGuard>, req: Request, next: Next) -> Response {
    if guard.allows(req.headers()) {
        next.run(req).await
    } else {
        unauthorized()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn unauthorized() -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "this endpoint needs `Authorization: Bearer <token>` (the token of `[serve] token_file`)",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(auth) = auth {
            map.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        }
        map
    }

    #[test]
    fn only_the_bearer_token_itself_passes() {
        let guard = BearerGuard::new("s3cret-token");
        for auth in [
            "Bearer s3cret-token",
            "bearer s3cret-token",
            "BEARER   s3cret-token  ",
        ] {
            assert!(guard.allows(&headers(Some(auth))), "{auth}");
        }
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Bearer s3cret-token-but-longer"),
            Some("Bearer s3cret-toke"),
            Some("Basic czNjcmV0LXRva2Vu"),
            Some("Bearer"),
            Some("Bearers3cret-token"),
            Some("s3cret-token"),
        ] {
            assert!(!guard.allows(&headers(auth)), "{auth:?}");
        }
    }

    #[test]
    fn its_debug_form_hides_the_token() {
        assert_eq!(
            format!("{:?}", BearerGuard::new("s3cret")),
            "BearerGuard([redacted])"
        );
    }
}
