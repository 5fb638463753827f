//! The outbox: claims, and marking messages sent or failed.

use chrono::{DateTime, Utc};
use invitekit::mailer::OutboxMessage;
use invitekit::model::MessageId;
use invitekit::store::Claim;
use invitekit::{Error, ErrorCode};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::codec::{self, Db as _, bound, id_list, instant, not_found};

/// Claims up to `claim.limit` messages, oldest first, in one immediate transaction.
pub(crate) fn claim(conn: &mut Connection, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
    if claim.limit == 0 {
        return Ok(Vec::new());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    let now = bound(claim.now);
    let limit = i64::try_from(claim.limit).unwrap_or(i64::MAX);
    let seqs: Vec<i64> = match &claim.ids {
        None => {
            let mut statement = tx
                .prepare_cached(
                    "SELECT seq FROM outbox
                     WHERE state <> 'sent' AND (claimed_until IS NULL OR claimed_until <= ?1)
                     ORDER BY seq LIMIT ?2",
                )
                .db()?;
            let rows = statement
                .query_map(params![now, limit], |row| row.get(0))
                .db()?;
            rows.collect::<rusqlite::Result<_>>().db()?
        }
        Some(ids) => {
            let mut statement = tx
                .prepare_cached(
                    "SELECT seq FROM outbox
                     WHERE id IN (SELECT value FROM json_each(?3)) AND state <> 'sent'
                         AND (claimed_until IS NULL OR claimed_until <= ?1)
                     ORDER BY seq LIMIT ?2",
                )
                .db()?;
            let list = id_list(ids.iter().map(MessageId::as_str))?;
            let rows = statement
                .query_map(params![now, limit, list], |row| row.get(0))
                .db()?;
            rows.collect::<rusqlite::Result<_>>().db()?
        }
    };
    let until = instant(claim.until)?;
    let mut claimed = Vec::with_capacity(seqs.len());
    {
        let mut statement = tx
            .prepare_cached(&format!(
                "UPDATE outbox SET attempts = attempts + 1, claimed_until = ?2 WHERE seq = ?1
                 RETURNING {}",
                codec::MESSAGE_COLUMNS
            ))
            .db()?;
        for seq in seqs {
            claimed.push(
                statement
                    .query_row(params![seq, until], codec::message)
                    .db()?,
            );
        }
    }
    tx.commit().db()?;
    Ok(claimed)
}

pub(crate) fn mark_sent(conn: &Connection, id: &MessageId, at: DateTime<Utc>) -> Result<(), Error> {
    let changed = conn
        .prepare_cached(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, claimed_until = NULL,
                 last_error = NULL, text = '', html = ''
             WHERE id = ?1",
        )
        .db()?
        .execute(params![id.as_str(), instant(at)?])
        .db()?;
    if changed == 0 {
        return Err(not_found(ErrorCode::MessageNotFound));
    }
    Ok(())
}

pub(crate) fn mark_failed(conn: &Connection, id: &MessageId, reason: &str) -> Result<(), Error> {
    // One statement: a sent message is found but left as it is.
    let found = conn
        .prepare_cached(
            "UPDATE outbox SET
                 state = iif(state = 'sent', state, 'failed'),
                 last_error = iif(state = 'sent', last_error, ?2),
                 claimed_until = iif(state = 'sent', claimed_until, NULL)
             WHERE id = ?1
             RETURNING 1",
        )
        .db()?
        .query_row(params![id.as_str(), reason], |_| Ok(()))
        .optional()
        .db()?;
    match found {
        Some(()) => Ok(()),
        None => Err(not_found(ErrorCode::MessageNotFound)),
    }
}
