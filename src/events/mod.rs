//! Event intake: CloudEvents signed per Standard Webhooks, Azure Event Grid
//! and NATS (and reviews people submit) become stored events, processed exactly once into
//! governance signals that the planner layers over the files.
//!
//! ```text
//! webhook     Standard Webhooks HMAC verification (constant time, 5-minute window)
//! cloudevent  CloudEvents 1.0 structured and binary mode
//! kinds       the io.tenure.* event types and their data
//! intake      one request in: verify, parse, check, store durably; the HTTP status
//! eventgrid   Azure Event Grid: the validation handshake; Key Vault events to secrets
//! signals     event -> signals; signals layered over the governance files
//! nats        a durable JetStream consumer; acked only once stored
//! processor   stored events -> signals, exactly once, then a reconcile
//! reviews     reviews from the admin API and imports, checked and stored as events
//! ```

mod cloudevent;
mod eventgrid;
mod intake;
mod kinds;
pub mod nats;
mod processor;
mod reviews;
mod signals;
mod webhook;

pub use cloudevent::{CloudEvent, FormatError, parse as parse_cloudevent, parse_structured};
pub use eventgrid::{EventGridDelivery, EventGridError, GridOutcome, read_delivery};
pub use intake::{Channel, IntakeError, Request, accept, inbound, store_event};
pub use kinds::{EventError, KEY_VAULT_TYPES, TYPES, TenureEvent};
pub use processor::{ProcessError, Processed, process_pending};
pub use reviews::{REVIEW_COMPLETED, ReviewIntakeError, prepare_review, submit_review};
pub use signals::{Exposures, overlay, signals_for};
pub use webhook::{SecretFormatError, SignatureError, SignedHeaders, TOLERANCE, WebhookKey};
