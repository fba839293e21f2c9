//! The grass module (not implemented yet: see the open issues).
