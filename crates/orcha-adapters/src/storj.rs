//! The storj module (not implemented yet: see the open issues).
