//! A state machine driven as a `Stream`: the watchers ([`crate::watch`],
//! [`crate::account`]) keep their whole state in a machine whose `next` yields one event
//! at a time. The stream moves the machine into the future of the step in progress and
//! takes it back when the step ends, so a dropped `next()` future (in a `select!`) loses
//! no event: the step goes on at the next poll.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A machine that produces its items one step at a time; `None` ends it.
pub(crate) trait Stepping: Send + 'static {
    type Item: Send + 'static;
    fn step(&mut self) -> impl Future<Output = Option<Self::Item>> + Send + '_;
}

type Step<M> = Pin<Box<dyn Future<Output = (M, Option<<M as Stepping>::Item>)> + Send>>;

pub(crate) struct Stepper<M: Stepping> {
    machine: Option<M>,
    step: Option<Step<M>>,
    done: bool,
}

impl<M: Stepping> Stepper<M> {
    pub(crate) fn new(machine: M) -> Self {
        Stepper {
            machine: Some(machine),
            step: None,
            done: false,
        }
    }

    /// The stream's `poll_next`.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<M::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.step.is_none() {
            let Some(mut machine) = self.machine.take() else {
                return Poll::Ready(None);
            };
            self.step = Some(Box::pin(async move {
                let item = machine.step().await;
                (machine, item)
            }));
        }
        let step = self.step.as_mut().expect("just set");
        match step.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((machine, item)) => {
                self.step = None;
                self.machine = Some(machine);
                if item.is_none() {
                    self.done = true;
                }
                Poll::Ready(item)
            }
        }
    }

    /// The stream has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// For closing: let the step in progress (told to stop beforehand) finish, and hand
    /// back the machine and the item that step produced, which is not delivered.
    pub(crate) async fn settle(&mut self) -> (Option<M>, Option<M::Item>) {
        let mut undelivered = None;
        if let Some(step) = self.step.take() {
            let (machine, item) = step.await;
            undelivered = item;
            self.machine = Some(machine);
        }
        (self.machine.take(), undelivered)
    }
}
