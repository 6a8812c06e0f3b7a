//! Sender checks: an event must carry the HMAC-SHA256 of its exact body
//! under a shared secret (of `<timestamp>.<body>` when the ingress requires
//! a timestamp), or a shared token, in a header the enablement names.
//!
//! Both comparisons take constant time, so a sender learns nothing from how
//! long a refusal takes: the MAC through `hmac`'s `verify_slice`, the token
//! by comparing the SHA-256 digests of the given and the expected token with
//! `subtle`, so that not even the token's length shows. A required timestamp
//! is decimal Unix seconds within the ingress's window of the host's clock,
//! either way; one outside it is refused before the signature is checked, as
//! a replayed delivery.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use yoi_grants::{IngressCheck, TimestampCheck};

use crate::IngressError;

/// Check an event's signature or token against the host's clock; `header`
/// looks up a request header by its lowercase name.
pub(crate) fn verify(
    check: &IngressCheck,
    body: &[u8],
    header: &dyn Fn(&str) -> Option<String>,
) -> Result<(), IngressError> {
    verify_at(check, body, header, SystemTime::now())
}

fn verify_at(
    check: &IngressCheck,
    body: &[u8],
    header: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<(), IngressError> {
    let name = match check {
        IngressCheck::HmacSha256 { header, .. } | IngressCheck::Token { header, .. } => header,
    };
    let given = header(name)
        .ok_or_else(|| IngressError::Unauthorized(format!("the `{name}` header is missing")))?;
    let valid = match check {
        IngressCheck::HmacSha256 {
            secret,
            timestamp: None,
            ..
        } => signature_matches(secret, &[body], &given),
        IngressCheck::HmacSha256 {
            secret,
            timestamp: Some(ts),
            ..
        } => {
            let stamp = fresh_timestamp(ts, header, now)?;
            signature_matches(secret, &[stamp.as_bytes(), b".", body], &given)
        }
        IngressCheck::Token { token, .. } => {
            let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
            let expected: [u8; 32] = Sha256::digest(token).into();
            bool::from(given.ct_eq(&expected))
        }
    };
    if valid {
        Ok(())
    } else {
        Err(IngressError::Unauthorized(format!(
            "the `{name}` header does not match"
        )))
    }
}

/// The timestamp header's text, if it is decimal Unix seconds within the
/// window of `now`.
fn fresh_timestamp(
    ts: &TimestampCheck,
    header: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, IngressError> {
    let name = &ts.header;
    let text = header(name)
        .ok_or_else(|| IngressError::Unauthorized(format!("the `{name}` header is missing")))?;
    let secs = (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            IngressError::Unauthorized(format!("the `{name}` header is not a Unix time in seconds"))
        })?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    if now.abs_diff(secs) > ts.max_skew.as_secs() {
        return Err(IngressError::Unauthorized(format!(
            "the `{name}` timestamp is more than {} s from the host's clock; a delivery is accepted only within that window",
            ts.max_skew.as_secs()
        )));
    }
    Ok(text)
}

/// Whether `given` is `sha256=<hex>` (any case, surrounding blanks allowed)
/// of the HMAC-SHA256 of the concatenated `parts` under `secret`.
fn signature_matches(secret: &[u8], parts: &[&[u8]], given: &str) -> bool {
    let given = given.trim();
    let Some(hex_mac) = given
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("sha256="))
        .map(|_| &given[7..])
    else {
        return false;
    };
    let Ok(mac_bytes) = hex::decode(hex_mac) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(&mac_bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            sign(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn only_the_right_signature_of_the_exact_body_passes() {
        let check = IngressCheck::HmacSha256 {
            header: "x-sig".into(),
            secret: b"s3cret".to_vec(),
            timestamp: None,
        };
        let good = sign(b"s3cret", b"{}");
        let with = |v: String| move |h: &str| (h == "x-sig").then(|| v.clone());
        assert!(verify(&check, b"{}", &with(good.clone())).is_ok());
        assert!(verify(&check, b"{}", &with(format!(" {} ", good.to_uppercase()))).is_ok());
        for bad in [
            sign(b"other", b"{}"),
            sign(b"s3cret", b"{ }"),
            good.replace("sha256=", "sha1="),
            "sha256=zz".into(),
            String::new(),
        ] {
            assert!(matches!(
                verify(&check, b"{}", &with(bad)),
                Err(IngressError::Unauthorized(_))
            ));
        }
        assert!(matches!(
            verify(&check, b"{}", &|_: &str| None),
            Err(IngressError::Unauthorized(m)) if m.contains("missing")
        ));
    }

    #[test]
    fn a_token_must_be_repeated_exactly() {
        let check = IngressCheck::Token {
            header: "x-token".into(),
            token: b"t0k".to_vec(),
        };
        assert!(verify(&check, b"{}", &|_: &str| Some("t0k".into())).is_ok());
        for bad in ["t0k ", "T0K", "t0", ""] {
            assert!(verify(&check, b"{}", &|_: &str| Some(bad.into())).is_err());
        }
    }

    #[test]
    fn a_replayed_webhook_outside_the_window_is_refused() {
        let check = IngressCheck::HmacSha256 {
            header: "x-sig".into(),
            secret: b"s3cret".to_vec(),
            timestamp: Some(TimestampCheck {
                header: "x-yoi-timestamp".into(),
                max_skew: Duration::from_secs(300),
            }),
        };
        let body = br#"{"n":1}"#;
        let sent = 1_800_000_000u64;
        let signed = |ts: &str| sign(b"s3cret", &[ts.as_bytes(), b".", body].concat());
        let headers = |ts: String, sig: String| {
            move |h: &str| match h {
                "x-sig" => Some(sig.clone()),
                "x-yoi-timestamp" => Some(ts.clone()),
                _ => None,
            }
        };
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        let ts = sent.to_string();
        let delivery = headers(ts.clone(), signed(&ts));
        // Within the window, either way: accepted.
        for now in [sent, sent + 300, sent - 300] {
            assert_eq!(verify_at(&check, body, &delivery, at(now)), Ok(()), "{now}");
        }
        // The same delivery replayed later (or sent from a clock far ahead).
        for now in [sent + 301, sent - 301, sent + 86_400] {
            assert_eq!(
                verify_at(&check, body, &delivery, at(now)),
                Err(IngressError::Unauthorized(
                    "the `x-yoi-timestamp` timestamp is more than 300 s from the host's clock; \
                     a delivery is accepted only within that window"
                        .into()
                )),
                "{now}"
            );
        }
        // A fresh timestamp on the old signature does not match: the
        // signature covers the timestamp.
        let fresh = (sent + 600).to_string();
        assert_eq!(
            verify_at(&check, body, &headers(fresh, signed(&ts)), at(sent + 600)),
            Err(IngressError::Unauthorized(
                "the `x-sig` header does not match".into()
            ))
        );
        // The body alone, signed the old way, does not match either.
        assert!(
            verify_at(
                &check,
                body,
                &headers(ts.clone(), sign(b"s3cret", body)),
                at(sent)
            )
            .is_err()
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "0x10",
            "99999999999999999999999",
            " 1800000000",
        ] {
            assert_eq!(
                verify_at(&check, body, &headers(bad.into(), signed(bad)), at(sent)),
                Err(IngressError::Unauthorized(
                    "the `x-yoi-timestamp` header is not a Unix time in seconds".into()
                )),
                "{bad:?}"
            );
        }
        let no_stamp = |h: &str| (h == "x-sig").then(|| signed(&ts));
        assert_eq!(
            verify_at(&check, body, &no_stamp, at(sent)),
            Err(IngressError::Unauthorized(
                "the `x-yoi-timestamp` header is missing".into()
            ))
        );
    }
}
