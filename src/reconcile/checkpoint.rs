//! Anchoring this process's audit trail in the shared checkpoint registry
//! (see [`crate::audit::Checkpoint`]): after a pass, and when a command
//! ends, the trail's head is recorded unless it was already.

use chrono::Utc;
use tracing::{debug, warn};

use super::{ReconcileError, Reconciler};
use crate::audit::{Checkpoint, read_head};

/// How often a row is tried when other replicas keep taking its number.
const ATTEMPTS: usize = 5;

impl Reconciler {
    /// Records the trail's head in the registry if this process has not
    /// recorded that head yet. A trail that cannot be read is left to
    /// `tenure audit verify` to report.
    pub async fn record_checkpoint(&self) -> Result<(), ReconcileError> {
        let head = match read_head(self.audit.path()) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(err) => {
                warn!(error = %err, "Could not read the audit trail's head to anchor it.");
                return Ok(());
            }
        };
        let key = (head.trail.clone(), head.seq);
        if self
            .checkpointed
            .lock()
            .is_ok_and(|last| last.as_ref() == Some(&key))
        {
            return Ok(());
        }
        for _ in 0..ATTEMPTS {
            let last = self.store.last_checkpoint().await?;
            if last
                .as_ref()
                .is_some_and(|l| l.trail == head.trail && l.seq == head.seq)
            {
                break;
            }
            let row = Checkpoint::next(last.as_ref(), &head, Utc::now().timestamp_millis());
            if self.store.insert_checkpoint(&row).await? {
                debug!(
                    checkpoint = row.id,
                    seq = head.seq,
                    "Anchored the audit trail at entry {} (checkpoint {}).",
                    head.seq,
                    row.id
                );
                break;
            }
        }
        if let Ok(mut last) = self.checkpointed.lock() {
            *last = Some(key);
        }
        Ok(())
    }
}
