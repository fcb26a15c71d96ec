use super::*;

fn req<'a>(p: &mut LineParser, line: &'a str) -> Record<'a> {
    match p.parse(line) {
        Parsed::Request(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn combined_lines_parse_with_time_and_query() {
    let mut p = LineParser::new(LogFormat::Combined, JsonFields::default());
    let r = req(
        &mut p,
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08""#,
    );
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/apache_pb.gif");
    assert_eq!(r.query.as_deref(), Some("a=1"));
    assert_eq!(r.status, 200);
    // 2000-10-10T20:55:36Z
    assert_eq!(r.ts, Some(971_211_336));
    // The common log format (no referer/user agent) works too.
    let r = req(
        &mut p,
        r#"::1 - - [06/Dec/2026:09:00:00 +0000] "POST /api/orders HTTP/1.1" 201 0"#,
    );
    assert_eq!((r.method.as_ref(), r.status), ("POST", 201));
}

#[test]
fn malformed_combined_lines_are_bad_not_fatal() {
    let mut p = LineParser::new(LogFormat::Combined, JsonFields::default());
    for line in [
        "garbage",
        r#"1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 1"#,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01" 400 0 "-" "-""#,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" abc 1"#,
    ] {
        assert!(matches!(p.parse(line), Parsed::Bad(_)), "{line}");
    }
    assert_eq!(p.parse(""), Parsed::Skip);
}

#[test]
fn alb_and_classic_elb_follow_the_published_field_list() {
    let mut p = LineParser::new(LogFormat::Elb, JsonFields::default());
    let alb = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/users/42?x=1 HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
    let r = req(&mut p, alb);
    assert_eq!(
        (r.method.as_ref(), r.path.as_ref(), r.status),
        ("GET", "/users/42", 200)
    );
    assert_eq!(r.query.as_deref(), Some("x=1"));
    assert_eq!(r.ts, Some(1_530_570_180));
    let elb = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 503 200 0 29 "POST http://www.example.com:80/cart HTTP/1.1" "curl/7.38.0" - -"#;
    let r = req(&mut p, elb);
    assert_eq!(
        (r.method.as_ref(), r.path.as_ref(), r.status),
        ("POST", "/cart", 503)
    );
    assert!(matches!(p.parse("https not-a-time x"), Parsed::Bad(_)));
}

#[test]
fn cloudfront_reads_its_fields_header() {
    let mut p = LineParser::new(LogFormat::Cloudfront, JsonFields::default());
    assert_eq!(p.parse("#Version: 1.0"), Parsed::Skip);
    let line = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla\tq=shoes&page=2\t-\tHit";
    let r = req(&mut p, line);
    assert_eq!(
        (r.method.as_ref(), r.path.as_ref(), r.status),
        ("GET", "/index.html", 200)
    );
    assert_eq!(r.query.as_deref(), Some("q=shoes&page=2"));
    // A different column order, announced by the header.
    assert_eq!(
        p.parse("#Fields: cs-method cs-uri-stem sc-status date time"),
        Parsed::Skip
    );
    let r = req(&mut p, "DELETE\t/items/9\t204\t2019-12-04\t21:02:31");
    assert_eq!((r.method.as_ref(), r.status), ("DELETE", 204));
    assert!(matches!(p.parse("GET\t/x"), Parsed::Bad(_)));
}

#[test]
fn json_lines_with_default_and_configured_fields() {
    let mut p = LineParser::new(LogFormat::Json, JsonFields::default());
    let r = req(
        &mut p,
        r#"{"time":"2026-12-06T09:00:01Z","method":"get","path":"/a/1?x=2","status":200}"#,
    );
    assert_eq!(
        (r.method.as_ref(), r.path.as_ref(), r.query.as_deref()),
        ("GET", "/a/1", Some("x=2"))
    );
    let r = req(
        &mut p,
        r#"{"time_local":"06/Dec/2026:09:00:01 +0000","request":"PUT /b HTTP/1.1","status":"204"}"#,
    );
    assert_eq!((r.method.as_ref(), r.status), ("PUT", 204));
    assert!(matches!(p.parse("{not json"), Parsed::Bad(_)));
    assert!(matches!(p.parse(r#"{"path":"/x"}"#), Parsed::Bad(_)));
    let fields = JsonFields::default()
        .with_overrides(&["path=req.uri".into(), "status=code_http".into()])
        .unwrap();
    let mut p = LineParser::new(LogFormat::Json, fields);
    let r = req(
        &mut p,
        r#"{"ts":1700000000,"verb":"GET","req.uri":"/c","code_http":404}"#,
    );
    assert_eq!(
        (r.path.as_ref(), r.status, r.ts),
        ("/c", 404, Some(1_700_000_000))
    );
    assert!(
        JsonFields::default()
            .with_overrides(&["colour=x".into()])
            .unwrap_err()
            .contains("unknown role")
    );
}
