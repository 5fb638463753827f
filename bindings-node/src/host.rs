//! Host objects the core calls back: a mailer written in JS, the methods of a store written in
//! JS (see [`crate::documents`]), and a fixed clock.
//!
//! # Calling JS from a worker thread
//!
//! Every `Invitations` method runs the core on a worker thread (see [`crate::service`]). When
//! the core needs the host (a mailer's `send`, a store's `get`), that worker calls a
//! [`JsMethod`]: a napi `ThreadsafeFunction` made from the object's method bound to the object.
//! The call is queued to the main thread, which runs the method when the event loop gets to it;
//! what the method returns is read on the main thread: a plain value at once, a Promise when it
//! settles (a `then` with two native callbacks is attached). The answer goes back to the worker
//! through a channel. So the **worker** waits for the host's Promise, and the event loop never
//! waits for anything: other requests, timers and the host's own I/O run meanwhile.
//!
//! # Errors the host raises
//!
//! A JS exception (thrown, or a rejection) cannot travel through the core, whose errors are
//! plain data. So it is kept aside, per worker thread (the core calls back on the thread the call
//! runs on), as a napi `Error` that holds a reference to the very JS value; the core sees
//! `storage_failed` or `delivery_failed`. When the call completes on the main thread, a store's
//! exception becomes the rejection of the call's Promise (the same object, `===`), and a
//! mailer's exceptions are handed back next to the failed messages in the report. A mailer's
//! failure never ends a call: the message stays in the outbox and `deliverPending()` retries it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender};

use chrono::{DateTime, Duration, Utc};
use invitekit::clock::Clock;
use invitekit::mailer::{Mailer, OutboxMessage};
use invitekit::model::MessageId;
use invitekit::{Error, ErrorKind};
use napi::bindgen_prelude::{
    FnArgs, Function, FunctionCallContext, JsObjectValue, JsValuesTupleIntoVec, Object,
    ToNapiValue, Unknown,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsDate, JsValue, Status, ValueType};
use napi_derive::napi;

use crate::errors::invalid_arg;

thread_local! {
    /// What a JS store threw or rejected with during the current call, if anything.
    static STORE_ERROR: RefCell<Option<napi::Error>> = const { RefCell::new(None) };
    /// What a JS mailer threw or rejected with, by message, during the current call.
    static MAILER_ERRORS: RefCell<HashMap<MessageId, napi::Error>> =
        RefCell::new(HashMap::new());
}

/// The JS errors the host's objects raised during one call, collected on its worker thread and
/// handed to the main thread with the call's result.
#[derive(Default)]
pub(crate) struct Kept {
    /// The store's exception that ended the call, if one did.
    pub(crate) store: Option<napi::Error>,
    /// The mailer's exceptions, by message.
    pub(crate) mailer: HashMap<MessageId, napi::Error>,
}

impl Kept {
    /// Forgets what an earlier call on this worker thread kept (at the start of each call).
    pub(crate) fn clear() {
        STORE_ERROR.with(|slot| slot.borrow_mut().take());
        MAILER_ERRORS.with(|slot| slot.borrow_mut().clear());
    }

    /// Takes what this worker thread kept during the call (at its end).
    pub(crate) fn take() -> Kept {
        Kept {
            store: STORE_ERROR.with(|slot| slot.borrow_mut().take()),
            mailer: MAILER_ERRORS.with(|slot| std::mem::take(&mut *slot.borrow_mut())),
        }
    }

    /// The exception the mailer raised for `message`, if it raised one (taken: once only).
    pub(crate) fn mailer_error(&mut self, message: &MessageId) -> Option<napi::Error> {
        self.mailer.remove(message)
    }
}

/// Keeps `thrown` (from a JS store) to reject the call with, and gives the core
/// `storage_failed`.
pub(crate) fn store_failed(method: &str, thrown: Thrown) -> Error {
    let message = format!("the JS store's {method}() failed: {}", thrown.error.reason);
    STORE_ERROR.with(|slot| *slot.borrow_mut() = Some(thrown.error));
    Error::new(ErrorKind::StorageFailed { message })
}

/// What a JS method ended with when it did not answer: the thrown or rejected value, kept as
/// a napi `Error` that converts back to that very value on the main thread, and its `code`
/// when it is an object with a string `code`.
pub(crate) struct Thrown {
    /// The value, kept.
    pub(crate) error: napi::Error,
    /// Its `.code`, read on the main thread.
    pub(crate) code: Option<String>,
}

impl Thrown {
    /// A failure of the binding itself (no JS value to hand back).
    fn native(error: napi::Error) -> Thrown {
        Thrown { error, code: None }
    }

    /// `value`, thrown or rejected by JS (read on the main thread).
    fn from_js(value: Unknown<'_>) -> Thrown {
        let code = match value.get_type() {
            Ok(ValueType::Object) => value
                .coerce_to_object()
                .ok()
                .and_then(|object| object.get::<String>("code").ok().flatten()),
            _ => None,
        };
        Thrown {
            error: napi::Error::from_unknown_without_coercion(value),
            code,
        }
    }

    /// A napi `Error` that came out of calling JS (a synchronous throw), as [`Thrown`]: on the
    /// main thread, its conversion to JS gives back the very value thrown.
    fn from_error(env: &Env, error: napi::Error) -> Thrown {
        match error.into_unknown(env) {
            Ok(value) => Thrown::from_js(value),
            Err(error) => Thrown::native(error),
        }
    }
}

/// A threadsafe function over a JS method: called with `A` from any thread, it never holds the
/// event loop open by itself (weak), and passes `A` as the arguments (no error-first argument).
type Tsfn<A> = ThreadsafeFunction<A, Unknown<'static>, A, Status, false, true, 0>;

/// A method of a JS object, callable from any thread; see the module documentation.
pub(crate) struct JsMethod<A: 'static + JsValuesTupleIntoVec> {
    tsfn: Tsfn<A>,
}

impl<A: 'static + JsValuesTupleIntoVec> JsMethod<A> {
    /// The method `name` of `object`, bound to `object` (`this` is the object, as when JS calls
    /// it). `what` names the object in the error when it has no such method.
    pub(crate) fn new(object: &Object<'_>, name: &str, what: &str) -> napi::Result<Self> {
        let method = object
            .get_named_property::<Function<'_, A, Unknown<'static>>>(name)
            .map_err(|_| {
                napi::Error::new(
                    Status::InvalidArg,
                    format!("{what}: expected an object with a {name}() method"),
                )
            })?;
        let tsfn = method
            .bind(*object)?
            .build_threadsafe_function::<A>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsMethod { tsfn })
    }

    /// Calls the method with `args` and waits, on this (worker) thread, for its answer: the
    /// value it returned or, when it returned a Promise, the value it resolved to, converted by
    /// `read` on the main thread. What it threw or rejected with comes back as [`Thrown`].
    ///
    /// Never call this on the main thread: it would wait for itself.
    pub(crate) fn call<R: Send + 'static>(
        &self,
        args: A,
        read: impl FnOnce(&Env, Unknown<'_>) -> napi::Result<R> + 'static,
    ) -> Result<R, Thrown> {
        let (sender, receiver) = mpsc::sync_channel::<Result<R, Thrown>>(1);
        let status = self.tsfn.call_with_return_value(
            args,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, env| {
                settle(&env, returned, read, sender);
                // Never an error here: napi would raise it as an uncaught exception.
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(Thrown::native(napi::Error::new(
                status,
                "the JS callback could not be queued (is the environment shutting down?)",
            )));
        }
        receiver.recv().unwrap_or_else(|_| {
            Err(Thrown::native(napi::Error::new(
                Status::Closing,
                "the JS callback was dropped before it answered (the environment is shutting down)",
            )))
        })
    }
}

/// On the main thread: hands what a JS method returned (or threw) to the waiting worker, at once
/// or when the returned Promise settles.
fn settle<R: 'static>(
    env: &Env,
    returned: napi::Result<Unknown<'static>>,
    read: impl FnOnce(&Env, Unknown<'_>) -> napi::Result<R> + 'static,
    sender: SyncSender<Result<R, Thrown>>,
) {
    // `try_send`: the channel holds one answer and the worker may have gone; never block here.
    let value = match returned {
        Ok(value) => value,
        Err(error) => {
            let _ = sender.try_send(Err(Thrown::from_error(env, error)));
            return;
        }
    };
    if value.is_promise().unwrap_or(false) {
        if let Err(error) = on_settled(env, value, read, sender.clone()) {
            let _ = sender.try_send(Err(Thrown::native(error)));
        }
    } else {
        let _ = sender.try_send(read(env, value).map_err(Thrown::native));
    }
}

/// Attaches `then(onFulfilled, onRejected)` to `promise`; each sends the answer to the worker.
/// Neither callback ever throws, so the Promise `then` returns always fulfills (no unhandled
/// rejection).
fn on_settled<R: 'static>(
    env: &Env,
    promise: Unknown<'_>,
    read: impl FnOnce(&Env, Unknown<'_>) -> napi::Result<R> + 'static,
    sender: SyncSender<Result<R, Thrown>>,
) -> napi::Result<()> {
    let object = promise.coerce_to_object()?;
    type Callback<'f> = Function<'f, Unknown<'f>, ()>;
    let then = object
        .get_named_property::<Function<'_, FnArgs<(Callback<'_>, Callback<'_>)>, Unknown<'_>>>(
            "then",
        )?;
    let read = RefCell::new(Some(read));
    let fulfilled_sender = sender.clone();
    let on_fulfilled = env.create_function_from_closure::<Unknown<'_>, (), _>(
        "onFulfilled",
        move |ctx: FunctionCallContext<'_>| {
            let answer = match (read.borrow_mut().take(), ctx.get::<Unknown<'_>>(0)) {
                (Some(read), Ok(value)) => read(ctx.env, value).map_err(Thrown::native),
                (_, Err(error)) => Err(Thrown::native(error)),
                (None, _) => return Ok(()),
            };
            let _ = fulfilled_sender.try_send(answer);
            Ok(())
        },
    )?;
    let on_rejected = env.create_function_from_closure::<Unknown<'_>, (), _>(
        "onRejected",
        move |ctx: FunctionCallContext<'_>| {
            let thrown = match ctx.get::<Unknown<'_>>(0) {
                Ok(value) => Thrown::from_js(value),
                Err(error) => Thrown::native(error),
            };
            let _ = sender.try_send(Err(thrown));
            Ok(())
        },
    )?;
    then.apply(object, FnArgs::from((on_fulfilled, on_rejected)))?;
    Ok(())
}

/// The message a JS mailer's `send` receives.
#[napi(object, use_nullable = true)]
pub struct MailMessage {
    /// The outbox message's id: stable across retries, use it as the provider's idempotency key.
    pub id: String,
    /// The organization.
    pub org: String,
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, if known.
    pub to_name: Option<String>,
    /// The subject, on one line.
    pub subject: String,
    /// The plain-text part (it holds the link).
    pub text: String,
    /// The HTML part, a whole document (it holds the link).
    pub html: String,
    /// How many times it was handed to a mailer before this attempt.
    pub attempts: u32,
}

impl MailMessage {
    /// The message `send` receives for `message`.
    pub(crate) fn of(message: &OutboxMessage) -> MailMessage {
        MailMessage {
            id: message.id.as_str().to_owned(),
            org: message.org.as_str().to_owned(),
            to: message.message.to.clone(),
            to_name: message.message.to_name.clone(),
            subject: message.message.subject.clone(),
            text: message.message.text.clone(),
            html: message.message.html.clone(),
            attempts: message.attempts,
        }
    }
}

/// A mailer written in JS: an object whose `send(message)` delivers one message, returning
/// anything or a Promise; a throw or a rejection is a delivery failure.
pub(crate) struct JsMailer {
    send: JsMethod<MailMessage>,
}

impl JsMailer {
    /// Wraps `object` (checked to have a `send` method).
    pub(crate) fn new(object: &Object<'_>) -> napi::Result<JsMailer> {
        Ok(JsMailer {
            send: JsMethod::new(object, "send", "mailer")?,
        })
    }
}

impl Mailer for JsMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        match self.send.call(MailMessage::of(message), |_, _| Ok(())) {
            Ok(()) => Ok(()),
            Err(thrown) => {
                let text = format!("the JS mailer failed: {}", thrown.error.reason);
                MAILER_ERRORS.with(|slot| {
                    slot.borrow_mut().insert(message.id.clone(), thrown.error);
                });
                Err(Error::new(ErrorKind::DeliveryFailed { message: text }))
            }
        }
    }
}

/// The UTC instant of a JS `Date`; an invalid date (`new Date("nonsense")`) is refused.
pub(crate) fn instant(date: &JsDate<'_>, what: &str) -> napi::Result<DateTime<Utc>> {
    crate::convert::date(date.value_of()?)
        .ok_or_else(|| invalid_arg(format!("{what}: an invalid Date")))
}

/// A clock that shows the instant it is given until it is moved: for tests, audits and
/// replays. Pass it as `new Invitations({ clock })` or `Invitations.open(path, { clock })`.
#[napi]
pub struct FixedClock {
    pub(crate) inner: Arc<invitekit::clock::FixedClock>,
}

#[napi]
impl FixedClock {
    /// A clock stopped at `now`.
    #[napi(constructor, catch_unwind)]
    pub fn new(now: JsDate<'_>) -> napi::Result<FixedClock> {
        Ok(FixedClock {
            inner: Arc::new(invitekit::clock::FixedClock::new(instant(&now, "now")?)),
        })
    }

    /// The instant it shows.
    #[napi(catch_unwind)]
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    /// Moves it to `now`.
    #[napi(catch_unwind)]
    pub fn set(&self, now: JsDate<'_>) -> napi::Result<()> {
        self.inner.set(instant(&now, "now")?);
        Ok(())
    }

    /// Moves it on by `ms` milliseconds (negative moves it back).
    #[napi(catch_unwind)]
    pub fn advance(&self, ms: f64) -> napi::Result<()> {
        if !ms.is_finite() || ms.abs() > 8.64e15 {
            return Err(invalid_arg(
                "advance: ms must be a finite number of milliseconds",
            ));
        }
        self.inner
            .advance(Duration::milliseconds(ms.round() as i64));
        Ok(())
    }
}
