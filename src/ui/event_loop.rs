//! The control room's loop: keys, envelopes, signals and the clock tick, with
//! redraws only on change and at most `fps` times a second for data.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, MissedTickBehavior};

use crate::core::command::Command;
use crate::record::recorder::{Delivery, Subscription};
use crate::ui::UiExit;
use crate::ui::app::{App, Effect};
use crate::ui::layout::draw;
use crate::ui::terminal::TerminalGuard;

/// Run the loop until the operator quits or a signal arrives.
pub async fn run(
    guard: &mut TerminalGuard,
    mut app: App,
    mut events: Option<Subscription>,
    commands: Option<UnboundedSender<Command>>,
    mut notes: Option<tokio::sync::mpsc::UnboundedReceiver<crate::ui::app::Status>>,
    fps: u32,
) -> anyhow::Result<UiExit> {
    let frame_gap = Duration::from_millis(1000 / u64::from(fps.max(1)));
    let mut keys = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut events_open = events.is_some();
    // Data changes wait for the next frame slot; keys and resizes draw at once.
    let mut dirty = true;
    let mut urgent = true;
    let mut last_draw = Instant::now();

    loop {
        if dirty && (urgent || last_draw.elapsed() >= frame_gap) {
            app.now = Utc::now();
            draw_frame(guard, &app)?;
            last_draw = Instant::now();
            dirty = false;
            urgent = false;
        }
        let next_frame = last_draw + frame_gap;
        tokio::select! {
            maybe = keys.next() => match maybe {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    for effect in app.handle_key(key) {
                        match effect {
                            Effect::Quit => return Ok(UiExit::Quit),
                            Effect::Send(cmd) => send(&commands, cmd, &mut app),
                        }
                    }
                    dirty = true;
                    urgent = true;
                }
                Some(Ok(TermEvent::Resize(..))) => {
                    dirty = true;
                    urgent = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("cannot read terminal input"),
                None => return Ok(UiExit::Quit),
            },
            received = next_delivery(&mut events), if events_open => {
                match received {
                    Some(d) => {
                        app.receive(d);
                        while let Some(d) = events.as_mut().and_then(Subscription::try_recv) {
                            app.receive(d);
                        }
                    }
                    None => events_open = false,
                }
                dirty = true;
            }
            Some(note) = next_note(&mut notes) => {
                app.note(note);
                dirty = true;
                urgent = true;
            }
            _ = sigterm.recv() => return Ok(UiExit::Signal("SIGTERM".into())),
            _ = sighup.recv() => return Ok(UiExit::Signal("SIGHUP".into())),
            _ = tick.tick(), if app.clock_running() => dirty = true,
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
}

/// The next delivery of the run's events; never resolves without a subscription.
async fn next_delivery(events: &mut Option<Subscription>) -> Option<Delivery> {
    match events {
        Some(sub) => sub.recv().await,
        None => std::future::pending().await,
    }
}

/// The next outside message; never resolves without a source.
async fn next_note(
    notes: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::ui::app::Status>>,
) -> Option<crate::ui::app::Status> {
    match notes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn send(commands: &Option<UnboundedSender<Command>>, cmd: Command, app: &mut App) {
    match commands {
        Some(tx) if tx.send(cmd).is_ok() => {}
        _ => app.error("the engine is gone: command not delivered"),
    }
}

fn draw_frame(guard: &mut TerminalGuard, app: &App) -> anyhow::Result<()> {
    let out = guard.terminal.backend_mut();
    crossterm::queue!(out, BeginSynchronizedUpdate).context("cannot write to the terminal")?;
    guard
        .terminal
        .draw(|f| draw(f, app))
        .context("cannot draw to the terminal")?;
    let out = guard.terminal.backend_mut();
    crossterm::queue!(out, EndSynchronizedUpdate).context("cannot write to the terminal")?;
    out.flush().context("cannot write to the terminal")?;
    Ok(())
}
