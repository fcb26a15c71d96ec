//! Tests of the lean load engine (kept apart so the engine file stays small).
use super::*;

fn decode(parts: &[&[u8]]) -> Result<(usize, bool), ErrorKind> {
    let mut d = Chunked::default();
    let mut total = 0;
    for p in parts {
        let (used, done) = d.step(p)?;
        total += used;
        if done {
            return Ok((total, true));
        }
    }
    Ok((total, false))
}

#[test]
fn chunked_bodies_end_where_they_should() {
    let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nNEXT";
    assert_eq!(decode(&[body]), Ok((body.len() - 4, true)));
    // Byte by byte, the same.
    let parts: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(decode(&parts), Ok((body.len() - 4, true)));
    // Trailers.
    let t = b"3\r\nabc\r\n0\r\nx-trailer: 1\r\n\r\n";
    assert_eq!(decode(&[t]), Ok((t.len(), true)));
    // Incomplete.
    assert_eq!(decode(&[b"5\r\nhel"]), Ok((6, false)));
    // Malformed.
    assert!(decode(&[b"zz\r\n"]).is_err());
    assert!(decode(&[b"3\r\nabcX"]).is_err());
    assert!(decode(&[b"ffffffffffffffff\r\n"]).is_err());
}

#[test]
fn requests_serialise_like_hyper() {
    let mut h = HeaderMap::new();
    h.insert(http::header::HOST, "127.0.0.1:8080".parse().unwrap());
    h.insert("x-a", "b".parse().unwrap());
    let r = WireRequest::new(&Method::GET, "/p?q=1", &h, Bytes::new());
    assert_eq!(
        r.head,
        b"GET /p?q=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nx-a: b\r\n".to_vec()
    );
    let r = WireRequest::new(&Method::POST, "/", &h, Bytes::from_static(b"{}"));
    assert!(r.head.ends_with(b"content-length: 2\r\n"));
    assert!(WireRequest::supports(&h));
    h.insert("expect", "100-continue".parse().unwrap());
    assert!(!WireRequest::supports(&h));
}

#[test]
fn lengths_parse_strictly() {
    assert_eq!(parse_length(b" 12 "), Some(12));
    assert_eq!(parse_length(b"-1"), None);
    assert_eq!(parse_length(b""), None);
    assert_eq!(parse_length(b"1,1"), None);
}
