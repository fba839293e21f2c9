//! The golem module (not implemented yet: see the open issues).
