//! Standard Webhooks signatures: `webhook-signature: v1,<base64 of
//! HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the key is the
//! base64 after `whsec_` in the secret (or the secret's bytes when it has
//! no such prefix). HMAC is written out here over `sha2` (RFC 2104), and
//! pinned by RFC 4231's vector and the spec's own example.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::secrets::Secret;

const BLOCK: usize = 64;

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> [u8; BLOCK] {
        let mut p = [0u8; BLOCK];
        for (o, b) in p.iter_mut().zip(k.iter()) {
            *o = b ^ byte;
        }
        p
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The signing key of a Standard Webhooks secret. A `whsec_` secret whose
/// rest is not base64 is an error naming the fix (never the value).
pub fn signing_key(secret: &Secret) -> Result<Vec<u8>, String> {
    match secret.expose().strip_prefix("whsec_") {
        Some(b64) => STANDARD.decode(b64).map_err(|_| {
            "the webhook secret starts with whsec_ but the rest is not base64; fix the secret (whsec_ + base64 of the key)".to_string()
        }),
        None => Ok(secret.expose().as_bytes().to_vec()),
    }
}

/// The `webhook-signature` header value for one delivery attempt.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut msg = format!("{id}.{timestamp}.").into_bytes();
    msg.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, &msg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 and test case 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signs_the_standard_webhooks_example() {
        let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let key = signing_key(&secret).expect("key");
        assert_eq!(
            signature(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let bad = signing_key(&Secret::new("whsec_***not base64***")).expect_err("bad");
        assert!(
            bad.contains("not base64") && !bad.contains("***not"),
            "{bad}"
        );
        assert_eq!(
            signing_key(&Secret::new("plain")).expect("raw"),
            b"plain".to_vec()
        );
    }
}
