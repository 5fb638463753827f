//! The outbox: claims (`FOR UPDATE SKIP LOCKED`), and marking messages sent or failed. Each is
//! one statement, so one transaction.

use chrono::{DateTime, Utc};
use invitekit::ErrorCode;
use invitekit::mailer::OutboxMessage;
use invitekit::model::MessageId;
use invitekit::store::Claim;
use postgres::Client;

use crate::codec::{self, Db as _, Fail, bound, instant, not_found};
use crate::pool::Db;

/// Claims up to `claim.limit` messages, oldest first. The candidates are locked with `FOR
/// UPDATE SKIP LOCKED`: a message another worker is claiming at this moment is skipped rather
/// than waited for, and one it claimed and committed no longer passes the `claimed_until`
/// test (PostgreSQL checks a locked row's newest version again), so two workers never claim
/// one message.
pub(crate) fn claim(db: &mut Db<'_, Client>, claim: &Claim) -> Result<Vec<OutboxMessage>, Fail> {
    if claim.limit == 0 {
        return Ok(Vec::new());
    }
    let now = bound(claim.now);
    let until = instant(claim.until)?;
    let limit = i64::try_from(claim.limit).unwrap_or(i64::MAX);
    let returning = format!("{}, o.seq", prefixed(codec::MESSAGE_COLUMNS, "o."));
    let rows = match &claim.ids {
        None => db.query(
            &format!(
                "WITH picked AS (
                     SELECT seq FROM outbox
                     WHERE state <> 'sent' AND (claimed_until IS NULL OR claimed_until <= $1)
                     ORDER BY seq LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 UPDATE outbox o SET attempts = o.attempts + 1, claimed_until = $3
                 FROM picked WHERE o.seq = picked.seq
                 RETURNING {returning}"
            ),
            &[&now, &limit, &until],
        ),
        Some(ids) => {
            let ids: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
            db.query(
                &format!(
                    "WITH picked AS (
                         SELECT seq FROM outbox
                         WHERE id = ANY($4) AND state <> 'sent'
                             AND (claimed_until IS NULL OR claimed_until <= $1)
                         ORDER BY seq LIMIT $2
                         FOR UPDATE SKIP LOCKED)
                     UPDATE outbox o SET attempts = o.attempts + 1, claimed_until = $3
                     FROM picked WHERE o.seq = picked.seq
                     RETURNING {returning}"
                ),
                &[&now, &limit, &until, &ids],
            )
        }
    }
    .db()?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        claimed.push((codec::int(row, 15)?, codec::message(row)?));
    }
    // RETURNING keeps no order.
    claimed.sort_by_key(|(seq, _)| *seq);
    Ok(claimed.into_iter().map(|(_, message)| message).collect())
}

/// `columns` (a comma-separated list) with each name prefixed.
fn prefixed(columns: &str, prefix: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{prefix}{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Marks messages `ids` sent at `at` in one statement, or none of them when one is unknown.
pub(crate) fn mark_sent(
    db: &mut Db<'_, Client>,
    ids: &[MessageId],
    at: DateTime<Utc>,
) -> Result<(), Fail> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
    let marked = db
        .query(
            "WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS id),
                  known AS (SELECT count(*) AS n FROM outbox JOIN wanted USING (id))
             UPDATE outbox SET state = 'sent', sent_at = $2, claimed_until = NULL,
                 last_error = NULL, text = '', html = ''
             WHERE id IN (SELECT id FROM wanted)
                 AND (SELECT n FROM known) = (SELECT count(*) FROM wanted)
             RETURNING 1",
            &[&ids, &instant(at)?],
        )
        .db()?;
    if marked.is_empty() {
        return Err(not_found(ErrorCode::MessageNotFound));
    }
    Ok(())
}

/// Marks message `id` failed; a sent one is found but left as it is.
pub(crate) fn mark_failed(
    db: &mut Db<'_, Client>,
    id: &MessageId,
    reason: &str,
) -> Result<(), Fail> {
    let found = db
        .query_opt(
            "UPDATE outbox SET
                 state = CASE WHEN state = 'sent' THEN state ELSE 'failed' END,
                 last_error = CASE WHEN state = 'sent' THEN last_error ELSE $2 END,
                 claimed_until = CASE WHEN state = 'sent' THEN claimed_until ELSE NULL END
             WHERE id = $1
             RETURNING 1",
            &[&id.as_str(), &reason],
        )
        .db()?;
    match found {
        Some(_) => Ok(()),
        None => Err(not_found(ErrorCode::MessageNotFound)),
    }
}
