//! The streamr module (not implemented yet: see the open issues).
