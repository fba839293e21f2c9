//! Unit tests of the Storj adapter's `config.yaml` editing and size parsing.

use super::*;

#[test]
fn sizes_parse_exactly() {
    assert_eq!(parse_size("1.00 TB"), Some(1_000_000_000_000));
    assert_eq!(parse_size("2.5TB"), Some(2_500_000_000_000));
    assert_eq!(parse_size("500GB"), Some(500_000_000_000));
    assert_eq!(parse_size("1 TiB"), Some(1 << 40));
    assert_eq!(parse_size("123"), Some(123));
    assert_eq!(parse_size("lots"), None);
    assert_eq!(parse_size("1 XB"), None);
    assert_eq!(format_size(2_500_000_000_000), "2500.00 GB");
    assert_eq!(format_size(3_000_000_000_000), "3.00 TB");
}

#[test]
fn only_the_live_key_is_edited() {
    let text = "# storage\n# storage.allocated-disk-space: 9 TB\n  storage.allocated-disk-space: 1.00 TB # mine\nother: 1\n";
    let out = set_allocated_disk_space(text, "2.00 TB");
    assert_eq!(
        out,
        "# storage\n# storage.allocated-disk-space: 9 TB\n  storage.allocated-disk-space: 2.00 TB # mine\nother: 1\n"
    );
    assert_eq!(read_allocated_disk_space(&out).as_deref(), Some("2.00 TB"));
    let appended = set_allocated_disk_space("a: 1\r\nb: 2", "600.00 GB");
    assert_eq!(
        appended,
        "a: 1\r\nb: 2\r\nstorage.allocated-disk-space: 600.00 GB\r\n"
    );
}
