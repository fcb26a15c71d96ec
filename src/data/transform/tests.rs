use std::collections::HashSet;

use super::keyed::{iban_valid, luhn_valid};
use super::*;
use crate::secrets::Secret;

fn key() -> HmacKey {
    HmacKey::new(&Secret::new("test-key-1"))
}

fn run(t: &Transformer, v: &str, row_key: &str, unique: bool) -> String {
    let k = key();
    let cx = Context {
        key: &k,
        row_key,
        unique,
        attempt: 0,
        integer: false,
        row: &[("id", Some("42"))],
    };
    apply(t, Some(v), &cx).unwrap().unwrap()
}

fn col(type_name: &str, category: char) -> Column {
    Column {
        name: "c".into(),
        type_name: type_name.into(),
        category,
        not_null: false,
        generated: false,
        builtin: true,
    }
}

#[test]
fn deterministic_transforms_ignore_table_and_row_for_keys() {
    for t in [
        Transformer::Hmac,
        Transformer::Hash,
        Transformer::Fake {
            kind: FakeKind::Email,
        },
    ] {
        // Same value, different rows (tables): same output; a join holds.
        assert_eq!(
            run(&t, "ann@corp.io", "1", false),
            run(&t, "ann@corp.io", "9", false)
        );
        assert_ne!(
            run(&t, "ann@corp.io", "1", false),
            run(&t, "bob@corp.io", "1", false)
        );
    }
    // Another key, another pseudonym (across runs, only the key matters).
    let other = HmacKey::new(&Secret::new("test-key-2"));
    let cx = Context {
        key: &other,
        row_key: "1",
        unique: false,
        attempt: 0,
        integer: false,
        row: &[],
    };
    assert_ne!(
        apply(&Transformer::Hmac, Some("x"), &cx).unwrap().unwrap(),
        run(&Transformer::Hmac, "x", "1", false)
    );
}

#[test]
fn fakes_are_valid_and_unique_under_a_unique_index() {
    let kinds = [
        FakeKind::Name,
        FakeKind::FirstName,
        FakeKind::LastName,
        FakeKind::Email,
        FakeKind::Phone,
        FakeKind::Street,
        FakeKind::City,
        FakeKind::PostalCode,
        FakeKind::Iban,
        FakeKind::Card,
        FakeKind::Ip,
    ];
    let email = regex::Regex::new(r"^[a-z0-9.]+@example\.com$").unwrap();
    for kind in kinds {
        let t = Transformer::Fake { kind };
        let mut seen = HashSet::new();
        for i in 0..5000 {
            let v = run(&t, &format!("person-{i}"), "r", true);
            match kind {
                FakeKind::Email => assert!(email.is_match(&v), "{v}"),
                FakeKind::Card => assert!(luhn_valid(&v), "{v}"),
                FakeKind::Iban => assert!(iban_valid(&v), "{v}"),
                FakeKind::Ip => assert!(v.parse::<std::net::IpAddr>().is_ok(), "{v}"),
                _ => assert!(!v.is_empty()),
            }
            if !matches!(kind, FakeKind::Card | FakeKind::Iban) {
                assert!(seen.insert(v.clone()), "{kind:?} repeated {v}");
            }
        }
    }
    let ip = run(&Transformer::Fake { kind: FakeKind::Ip }, "x", "r", false);
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok());
}

#[test]
fn mask_noise_generalise_shift_and_template() {
    assert_eq!(
        run(
            &Transformer::Mask { keep_last: 4 },
            "4111111111111111",
            "r",
            false
        ),
        "************1111"
    );
    let n: f64 = run(&Transformer::Noise { bound: 5.0 }, "100.00", "r", false)
        .parse()
        .unwrap();
    assert!((95.0..=105.0).contains(&n));
    assert_eq!(
        run(&Transformer::Noise { bound: 5.0 }, "100.00", "r", false)
            .split('.')
            .nth(1)
            .unwrap()
            .len(),
        2
    );
    let d = run(
        &Transformer::Noise { bound: 10.0 },
        "2024-03-15",
        "r",
        false,
    );
    let d = chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap();
    let base = chrono::NaiveDate::from_ymd_opt(2024, 3, 15).unwrap();
    assert!((d - base).num_days().abs() <= 10);
    let g = Transformer::Generalise {
        to: Some("month".into()),
        bucket: None,
    };
    assert_eq!(run(&g, "1984-07-23", "r", false), "1984-07-01");
    assert_eq!(
        run(&g, "2024-07-23 10:11:12.5+00", "r", false),
        "2024-07-01 00:00:00+00"
    );
    let y = Transformer::Generalise {
        to: Some("year".into()),
        bucket: None,
    };
    assert_eq!(run(&y, "1984-07-23", "r", false), "1984-01-01");
    let b = Transformer::Generalise {
        to: None,
        bucket: Some(10.0),
    };
    assert_eq!(run(&b, "37", "r", false), "30");
    // One shift per row: two dates of the same row move together.
    let s = Transformer::ShiftDates { max_days: 30 };
    let a = run(&s, "2024-01-10", "row-7", false);
    let b2 = run(&s, "2024-02-10", "row-7", false);
    let pa = chrono::NaiveDate::parse_from_str(&a, "%Y-%m-%d").unwrap();
    let pb = chrono::NaiveDate::parse_from_str(&b2, "%Y-%m-%d").unwrap();
    assert_eq!((pb - pa).num_days(), 31);
    let t = Transformer::Template {
        template: "note on order {id}".into(),
    };
    assert_eq!(run(&t, "call Ann Smith", "r", false), "note on order 42");
}

#[test]
fn type_checks_name_the_problem() {
    assert!(Transformer::Hmac.rejects(&col("text", 'S')).is_none());
    assert!(
        Transformer::Hmac
            .rejects(&col("character varying(20)", 'S'))
            .unwrap()
            .contains("20")
    );
    assert!(Transformer::Hmac.rejects(&col("integer", 'N')).is_some());
    assert!(
        Transformer::ShiftDates { max_days: 3 }
            .rejects(&col("text", 'S'))
            .is_some()
    );
    assert!(
        Transformer::Noise { bound: 1.0 }
            .rejects(&col("numeric(10,2)", 'N'))
            .is_none()
    );
    let mut nn = col("text", 'S');
    nn.not_null = true;
    assert!(Transformer::Null.rejects(&nn).unwrap().contains("NOT NULL"));
}
