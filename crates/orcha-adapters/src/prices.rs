//! The prices module (not implemented yet: see the open issues).
