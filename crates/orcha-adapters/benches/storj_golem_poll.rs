//! Poll cost of the Storj and Golem adapters against a local replay server (filled in below).

fn main() {}
