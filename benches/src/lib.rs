//! Synthetic org generator and benchmark helpers.
