//! The `.dl` rule language: a Soufflé-compatible subset. See `docs/rules.md`.
