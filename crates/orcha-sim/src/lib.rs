//! The node simulator (work in progress).
