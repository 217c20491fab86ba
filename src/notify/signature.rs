//! Webhook signatures: `sha256=<hex HMAC-SHA256 of the raw body>` under a secret shared with
//! the receiver. The receiver must verify against the bytes it received, before parsing them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SCHEME_PREFIX: &str = "sha256=";

/// The `X-Borderslot-Signature` value for `body`.
pub fn sign_body(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut header = String::with_capacity(SCHEME_PREFIX.len() + digest.len() * 2);
    header.push_str(SCHEME_PREFIX);
    for byte in digest {
        header.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        header.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    header
}

/// Whether `header` is a valid signature of `body` under `secret`. The comparison takes the
/// same time wherever the first wrong byte is, so it leaks nothing about the right signature.
pub fn verify_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(digest) = header
        .trim()
        .strip_prefix(SCHEME_PREFIX)
        .and_then(decode_hex)
    else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&digest).is_ok()
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some((hex_value(pair[0])? << 4) | hex_value(pair[1])?))
        .collect()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_the_published_hmac_sha256_test_vector() {
        // RFC 4231, test case 2.
        let header = sign_body(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let body = br#"{"id":"1"}"#;
        let header = sign_body(b"right", body);

        assert!(verify_signature(b"right", body, &header));
        assert!(verify_signature(
            b"right",
            body,
            &header.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify_signature(b"wrong", body, &header));
        assert!(!verify_signature(b"right", br#"{"id":"2"}"#, &header));
    }

    #[test]
    fn malformed_signature_headers_are_rejected() {
        let body = b"{}";
        let header = sign_body(b"secret", body);
        let digits = header.trim_start_matches(SCHEME_PREFIX);

        for bad in [
            "",
            digits,
            "sha256=",
            "sha1=00",
            &header[..header.len() - 1],
            &format!("{}zz", &header[..header.len() - 2]),
        ] {
            assert!(!verify_signature(b"secret", body, bad), "{bad:?}");
        }
    }
}
