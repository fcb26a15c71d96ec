use super::*;

fn names() -> Vec<String> {
    vec!["home".into(), "checkout".into()]
}

fn labels() -> Vec<String> {
    vec!["local-1".into(), "local-2".into()]
}

#[test]
fn windows_merge_counts_exactly_with_three_digits() {
    let mut r = Report::new(Path::new("/nonexistent"), &names(), &labels());
    r.feed(br#"{"type":"window","label":"local-1","sec":100,"endpoints":{"home":{"n":3,"f":1,"rt":{"12.3":2,"0.456":1},"status":{"200":2,"503":1},"kinds":{"status_5xx":1},"variants":{"canary":{"n":1,"f":0,"rt":{"12.3":1}}}}}}"#);
    r.feed(br#"{"type":"window","label":"local-2","sec":100,"endpoints":{"home":{"n":2,"f":0,"rt":{"12.3":2}},"checkout":{"n":1,"f":0,"rt":{"250":1}}}}"#);
    let acc = &r.seconds[&100];
    assert_eq!(acc.all.requests, 6);
    assert_eq!(acc.all.errors, 1);
    assert_eq!(acc.endpoints[0].requests, 5);
    assert_eq!(acc.endpoints[1].requests, 1);
    assert_eq!(acc.all.corrected.len(), 6);
    assert_eq!(acc.all.corrected.min(), 456);
    assert_eq!(acc.status[&503], 1);
    let k5 = ErrorKind::ALL
        .iter()
        .position(|k| *k == ErrorKind::Status5xx)
        .unwrap();
    assert_eq!(acc.kinds[k5], 1);
    assert_eq!(r.variant_names, vec!["canary".to_string()]);
    // 12.3 ms stays 12.3 ms (Locust's own bucketing would say 12).
    assert!(
        acc.endpoints[0]
            .corrected
            .equivalent(acc.all.corrected.value_at_quantile(0.5), 12_300)
    );
}

#[test]
fn workers_join_run_and_get_lost() {
    let mut r = Report::new(Path::new("/nonexistent"), &names(), &labels());
    assert_eq!(r.missing(), labels());
    r.feed(br#"{"type":"hello","label":"local-1","client_id":"a"}"#);
    assert_eq!(r.missing(), vec!["local-2".to_string()]);
    r.feed(br#"{"type":"hello","label":"local-2","client_id":"b"}"#);
    r.feed(br#"{"type":"workers","t":1,"state":"running","workers":[{"id":"a","state":"running","cpu":12.5,"cpu_warning":false},{"id":"b","state":"running","cpu":95.0,"cpu_warning":true}]}"#);
    let p = r.pool();
    assert_eq!(p.joined(), 2);
    assert_eq!(p.workers[1].state, "running");
    assert_eq!(r.cpu_warnings(), vec!["local-2".to_string()]);
    r.feed(br#"{"type":"workers","t":2,"state":"running","workers":[{"id":"a","state":"running","cpu":12.5}]}"#);
    assert_eq!(r.lost(), vec!["local-2".to_string()]);
    assert_eq!(r.pool().joined(), 1);
}

#[test]
fn an_unexpected_line_is_a_fault_naming_the_file() {
    let mut r = Report::new(Path::new("/tmp/x/report.jsonl"), &names(), &labels());
    r.feed(b"{\"type\":\"window\",\"sec\":\"soon\"}");
    assert_eq!(r.faults.len(), 1);
    assert!(
        r.faults[0].contains("/tmp/x/report.jsonl"),
        "{}",
        r.faults[0]
    );
}
