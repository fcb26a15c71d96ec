use super::*;

#[test]
fn templates_normalise_ids_uuids_hashes_and_numbers() {
    let table = [
        ("/", "/"),
        ("/health", "/health"),
        ("/users/42", "/users/{id}"),
        ("/users/42/orders/7", "/users/{id}/orders/{id}"),
        (
            "/orders/550e8400-e29b-41d4-a716-446655440000",
            "/orders/{id}",
        ),
        (
            "/blobs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "/blobs/{id}",
        ),
        (
            "/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "/commits/{id}",
        ),
        ("/items/507f1f77bcf86cd799439011", "/items/{id}"),
        ("/reports/2026-12-06", "/reports/{id}"),
        ("/v2/api/items", "/v2/api/items"),
        ("/users/alice@example.com", "/users/{id}"),
        ("/s/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/s/{id}"),
        ("/invoices/INV-000123", "/invoices/{id}"),
        ("/products/blue-shoes", "/products/blue-shoes"),
        ("/api/v1/", "/api/v1/"),
    ];
    for (path, want) in table {
        assert_eq!(template(path), want, "{path}");
    }
}

#[test]
fn static_assets_by_extension_and_prefix() {
    let f = StaticFilter::new(&[".csv".into()], &["/assets/".into()], true);
    assert!(f.is_static("/app.js"));
    assert!(f.is_static("/img/logo.PNG"));
    assert!(f.is_static("/export.csv"));
    assert!(f.is_static("/assets/anything"));
    assert!(!f.is_static("/api/users"));
    assert!(!f.is_static("/.well-known"));
    let none = StaticFilter::new(&[], &[], false);
    assert!(!none.is_static("/app.js"));
}

#[test]
fn personal_values_are_masked() {
    assert_eq!(
        mask_query("email=alice%40example.com&page=2"),
        "email=masked&page=2"
    );
    assert_eq!(mask_query("q=bob@example.org"), "q=user@example.com");
    assert_eq!(mask_query("ref=4111111111111111"), "ref=0000000000000000");
    assert_eq!(mask_query("token=abc&sort=asc"), "token=masked&sort=asc");
    assert_eq!(mask_query("page=12"), "page=12");
    assert_eq!(
        mask_path("/users/alice@example.com/cart"),
        "/users/user@example.com/cart"
    );
    assert_eq!(
        mask_path("/phones/+44 20 7946 0958"),
        "/phones/+00 00 0000 0000"
    );
    assert_eq!(mask_path("/users/42"), "/users/42");
}
