//! End-to-end tests of the `agora` binary: real processes, real databases,
//! a real SMTP server (aiosmtpd) and a real browser (Debian's Chromium driven
//! through chromedriver).

#![allow(clippy::unwrap_used)]

mod analytics;
mod browser;
mod crash;
mod harness;
mod processes;
