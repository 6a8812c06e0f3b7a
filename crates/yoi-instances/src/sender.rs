//! Sender checks: an event must carry the HMAC-SHA256 of its exact body
//! under a shared secret, or a shared token, in a header the enablement
//! names. Both comparisons take constant time, so a sender learns nothing
//! from how long a refusal takes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use yoi_grants::IngressCheck;

use crate::IngressError;

/// Check an event's signature or token; `header` looks up a request header
/// by its lowercase name.
pub(crate) fn verify(
    check: &IngressCheck,
    body: &[u8],
    header: &dyn Fn(&str) -> Option<String>,
) -> Result<(), IngressError> {
    let name = match check {
        IngressCheck::HmacSha256 { header, .. } | IngressCheck::Token { header, .. } => header,
    };
    let given = header(name)
        .ok_or_else(|| IngressError::Unauthorized(format!("the `{name}` header is missing")))?;
    let valid = match check {
        IngressCheck::HmacSha256 { secret, .. } => signature_matches(secret, body, &given),
        IngressCheck::Token { token, .. } => bool::from(given.as_bytes().ct_eq(token)),
    };
    if valid {
        Ok(())
    } else {
        Err(IngressError::Unauthorized(format!(
            "the `{name}` header does not match"
        )))
    }
}

/// Whether `given` is `sha256=<hex>` (any case, surrounding blanks allowed)
/// of the HMAC-SHA256 of `body` under `secret`.
fn signature_matches(secret: &[u8], body: &[u8], given: &str) -> bool {
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
    mac.update(body);
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
}
