//! Test harness: starts a private Dovecot for the integration tests.
