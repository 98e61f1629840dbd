//! The running service, black-box: `config/examples/service.toml` on the
//! demo, driven over HTTP. One module per area; the helpers they share.

mod admin;
mod events;
mod governance;
mod notify;
mod operations;
mod reviews;

const REPORTS: &str = "local:demo/reports-token";
