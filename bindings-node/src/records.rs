//! The results of `Invitations`' methods as JS values.
//!
//! Records go through [`crate::convert::to_js`], the package's one conversion: the JSON the
//! core's serde derives give, keys in camelCase, instants as `Date`s, ids, codes, statuses and
//! roles as snake_case text. The reports built here (delivery reports, bulk outcomes) add what
//! serde cannot carry: error objects, and the very values a JS mailer threw.

use invitekit::mailer::OutboxMessage;
use invitekit::service::{ClientList, ClientOutcome, DeliveryReport};
use napi::bindgen_prelude::{Array, JsObjectValue, Null, Object, Unknown};
use napi::{Env, JsValue};
use serde::Serialize;

use crate::convert::to_js;
use crate::errors::to_napi_err;
use crate::host::{Kept, MailMessage};

/// [`to_js`] for a record that is a JS object (a struct).
pub(crate) fn to_js_object<'e>(env: &'e Env, value: &impl Serialize) -> napi::Result<Object<'e>> {
    to_js(env, value)?.coerce_to_object()
}

/// A page of the client list (`listClients`, `neverInvited`), its instant `now` a `Date` like
/// every other.
pub(crate) fn client_list<'e>(
    env: &'e Env,
    list: ClientList,
    _: &mut Kept,
) -> napi::Result<Unknown<'e>> {
    let mut object = to_js_object(env, &list)?;
    object.set_named_property("now", list.now)?;
    Ok(object.to_unknown())
}

/// A delivery report: `sent` (message ids) and `failed`, one `{ message, reason, error }` per
/// failed message, `error` being what a JS mailer threw or rejected with (the very value), or
/// `null`.
pub(crate) fn delivery<'e>(
    env: &'e Env,
    report: &DeliveryReport,
    kept: &mut Kept,
) -> napi::Result<Object<'e>> {
    let mut object = Object::new(env)?;
    let sent: Vec<&str> = report.sent.iter().map(|id| id.as_str()).collect();
    object.set_named_property("sent", sent)?;
    let mut failed = Vec::with_capacity(report.failed.len());
    for (id, reason) in &report.failed {
        let mut item = Object::new(env)?;
        item.set_named_property("message", id.as_str())?;
        item.set_named_property("reason", reason.as_str())?;
        item.set_named_property("error", kept.mailer_error(id))?;
        failed.push(item);
    }
    object.set_named_property("failed", Array::from_vec(env, failed)?)?;
    Ok(object)
}

/// A report (a batch report) whose `delivery` is replaced by [`delivery`]'s object.
pub(crate) fn with_delivery<'e>(
    env: &'e Env,
    report: &impl Serialize,
    delivery_report: &DeliveryReport,
    kept: &mut Kept,
) -> napi::Result<Unknown<'e>> {
    let mut object = to_js_object(env, report)?;
    object.set_named_property("delivery", delivery(env, delivery_report, kept)?)?;
    Ok(object.to_unknown())
}

/// One client's outcome of a bulk command: `{ client, status, error, message, delivery,
/// mailerError }`; `error` is the refusal as an error (not thrown), `mailerError` what a JS
/// mailer threw for this client's message.
pub(crate) fn outcome<'e>(
    env: &'e Env,
    outcome: ClientOutcome,
    kept: &mut Kept,
) -> napi::Result<Object<'e>> {
    let mut object = Object::new(env)?;
    object.set_named_property("client", outcome.client.as_str())?;
    match outcome.result {
        Ok(status) => {
            object.set_named_property("status", status.as_str())?;
            object.set_named_property("error", Null)?;
        }
        Err(error) => {
            object.set_named_property("status", Null)?;
            object.set_named_property("error", to_napi_err(error))?;
        }
    }
    object.set_named_property("message", outcome.message.as_ref().map(|m| m.as_str()))?;
    object.set_named_property("delivery", outcome.delivery.map(|d| d.as_str()))?;
    let mailer_error = outcome
        .message
        .as_ref()
        .and_then(|id| kept.mailer_error(id));
    object.set_named_property("mailerError", mailer_error)?;
    Ok(object)
}

/// The outcomes of a bulk command, in the order of the clients given.
pub(crate) fn outcomes<'e>(
    env: &'e Env,
    outcomes: Vec<ClientOutcome>,
    kept: &mut Kept,
) -> napi::Result<Unknown<'e>> {
    let items = outcomes
        .into_iter()
        .map(|item| outcome(env, item, kept))
        .collect::<napi::Result<Vec<_>>>()?;
    Ok(Array::from_vec(env, items)?.to_unknown())
}

/// The outbox's view of a message, as `outbox()` lists it.
#[derive(Serialize)]
struct OutboxEntry<'a> {
    id: &'a str,
    org: &'a str,
    client: &'a str,
    to: &'a str,
    to_name: Option<&'a str>,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    attempts: u32,
    state: &'a str,
    created_at: chrono::DateTime<chrono::Utc>,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
    last_error: Option<&'a str>,
}

/// Outbox messages as `outbox()` lists them.
pub(crate) fn outbox<'e>(env: &'e Env, messages: &[OutboxMessage]) -> napi::Result<Unknown<'e>> {
    let entries: Vec<OutboxEntry<'_>> = messages
        .iter()
        .map(|m| OutboxEntry {
            id: m.id.as_str(),
            org: m.org.as_str(),
            client: m.client.as_str(),
            to: &m.message.to,
            to_name: m.message.to_name.as_deref(),
            subject: &m.message.subject,
            text: &m.message.text,
            html: &m.message.html,
            attempts: m.attempts,
            state: m.state.as_str(),
            created_at: m.created_at,
            sent_at: m.sent_at,
            last_error: m.last_error.as_deref(),
        })
        .collect();
    to_js(env, &entries)
}

/// The messages the default in-memory mailer received.
pub(crate) fn mail_messages(messages: &[OutboxMessage]) -> Vec<MailMessage> {
    messages.iter().map(MailMessage::of).collect()
}
