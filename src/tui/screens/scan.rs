//! The gate operator's screen: a verdict you can read from a step away.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::checkin::CheckIn;
use super::{Ctx, hhmmss};
use crate::config::GateDirection;
use crate::domain::scan::{Persons, ScanOutcome, Verdict};
use crate::service::ScanOpts;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Bell, Effect, Outcome, PHOTO_COLS, Photo, ScanSource};
use crate::tui::theme::Theme;
use crate::tui::view::View;
use crate::tui::wedge::is_code_char;
use crate::tui::widgets::text::{self, visible};
use crate::tui::widgets::{bigtext, halfblock};

/// How many scans the list keeps.
const RECENT: usize = 10;
/// The same code typed again by the wedge scanner inside this window is one read.
const WEDGE_DEBOUNCE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Default)]
pub struct ScanState {
    /// What a person has typed into the code entry.
    pub entry: String,
    pub last: Option<ScanOutcome>,
    pub recent: VecDeque<(ScanOutcome, ScanSource)>,
    /// The scanned resident's photo, loaded and encoded by the worker.
    pub photo: Option<Photo>,
    /// The last wedge read and when, for the debounce.
    last_wedge: Option<(String, Instant)>,
    pub busy: bool,
    /// The manual check-in overlay, when open.
    pub checkin: Option<CheckIn>,
    /// When the last verdict (or a repeat of it) went up; None until the
    /// first tick after it arrived.
    shown_at: Option<Instant>,
    /// The verdict's time is up: the screen says READY for the next guest.
    pub expired: bool,
    /// The scanner read the same card again inside the debounce window.
    pub same_again: bool,
    /// Verdicts so far, so a new one is visibly new even when it equals the last.
    pub seq: u64,
    /// What the next scan records besides its code (an exit, K of a
    /// group): set by `<` or `+`, spent by that one scan, cleared by Esc.
    pub next: ScanOpts,
    /// `+` was pressed: the K being typed for "admit K of those left".
    pub persons_entry: Option<String>,
    /// This gate's direction, for the footer: `<` is offered at a `both` gate only.
    pub direction: Option<GateDirection>,
}

/// Most digits of K: a pass holds at most `rules::MAX_PERSONS` people.
const K_DIGITS: usize = 2;

impl Component for ScanState {
    /// A scanner's bursts never get here (see `wedge`): these are a
    /// person's keys. Letters, digits and `-` go to the entry; `q` on an
    /// empty entry quits (no code starts with q). None: the global keys decide.
    fn key(&self, key: KeyEvent, at: Instant) -> Option<Action> {
        if let Some(c) = &self.checkin {
            return Some(c.key(key));
        }
        let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        // Typing K after `+`: digits, Enter sets it, Esc drops it.
        if self.persons_entry.is_some() {
            return match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() && plain => Some(Action::ScanChar(c, at)),
                KeyCode::Enter => Some(Action::ScanSubmit),
                KeyCode::Backspace => Some(Action::ScanBackspace),
                KeyCode::Esc => Some(Action::Back),
                _ => None,
            };
        }
        match key.code {
            KeyCode::Char('q') if self.entry.is_empty() => None,
            KeyCode::Char('/') => Some(Action::StartSearch),
            // Neither is a code character, so a typed code never sets a mode.
            KeyCode::Char('<') if self.entry.is_empty() => Some(Action::ExitNext),
            KeyCode::Char('+') if self.entry.is_empty() => Some(Action::GroupPart),
            KeyCode::Char(c) if is_code_char(c) && plain => Some(Action::ScanChar(c, at)),
            KeyCode::Enter => Some(Action::ScanSubmit),
            KeyCode::Backspace => Some(Action::ScanBackspace),
            KeyCode::Esc => Some(Action::Back),
            _ => None,
        }
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        self.direction = Some(cx.cfg.gate_direction());
        if let Some(c) = self.checkin.as_mut() {
            return c.update(action).unwrap_or_else(|| {
                self.checkin = None;
                vec![]
            });
        }
        if self.persons_entry.is_some() {
            self.persons_key(action, cx);
            return vec![];
        }
        match action {
            Action::StartSearch => {
                // A check-in is by hand, not the next scan: the mode waits for a code.
                if self.next != ScanOpts::default() {
                    cx.say("a check-in admits all left; the mode waits for the next scanned code");
                }
                return self.open_checkin("");
            }
            Action::ExitNext => match cx.cfg.gate_direction() {
                GateDirection::Both => self.next.exit = !self.next.exit,
                GateDirection::Out => cx.say("this is an exit gate: every scan here records an exit"),
                GateDirection::In => cx.warn(format!(
                    "{} is an entry gate ([gate] direction = \"in\"): exits are scanned at an out or both gate",
                    cx.cfg.gate.name
                )),
            },
            Action::GroupPart => self.persons_entry = Some(String::new()),
            Action::ScanChar(c, _) => self.entry.push(c),
            Action::ScanBackspace => {
                self.entry.pop();
            }
            // Esc clears what is typed, then the mode set for the next scan.
            Action::Back if self.entry.is_empty() => self.next = ScanOpts::default(),
            Action::Back => self.entry.clear(),
            Action::Paste(s) => {
                let text: String = s.chars().filter(|c| !c.is_control()).collect();
                return self.submit(text, ScanSource::Manual, None);
            }
            Action::ScanSubmit => {
                let text = std::mem::take(&mut self.entry);
                // Not a code (the short id on a ticket, a name): look it up.
                if !text.trim().is_empty() && !text.trim().to_ascii_uppercase().starts_with("GH1") {
                    return self.open_checkin(text.trim());
                }
                if !text.trim().is_empty() {
                    return self.submit(text, ScanSource::Manual, None);
                }
            }
            _ => {}
        }
        vec![]
    }

    fn outcome(&mut self, outcome: Outcome, cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Scanned(out, source, photo) => return self.scanned(*out, source, photo, cx.cfg.console.sound),
            Outcome::Found(query, rows) => {
                if let Some(c) = self.checkin.as_mut() {
                    c.found(query, rows);
                }
            }
            Outcome::Failed(_) => self.busy = false,
            _ => {}
        }
        vec![]
    }

    fn enter(&mut self) -> Vec<Effect> {
        vec![Effect::LoadStats]
    }

    fn footer(&self) -> &'static str {
        match &self.checkin {
            Some(c) if c.confirming => "Enter check in  Esc back to the list",
            Some(_) => "type a name, phone or id  ↑↓ choose  Enter pick  Esc close",
            None if self.persons_entry.is_some() => "type K (how many of the group come in now)  Enter set  Esc cancel",
            None if self.next != ScanOpts::default() => "the next scan only, then back to normal  Esc cancel  ? help",
            None if self.direction == Some(GateDirection::Both) => {
                "scan/code+Enter  / find  < exit  + part of group  F8 sign out  ? help  q quit"
            }
            None => "scan or type code+Enter  / find  + part of group  F8 sign out  ? help  q quit",
        }
    }

    /// The camera, the last scans and the counts stay for the next operator.
    fn sign_out(&mut self) {
        self.entry.clear();
        self.next = ScanOpts::default();
        self.persons_entry = None;
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(self, v, area, buf)
    }
}

impl ScanState {
    /// Would a verdict from `source` arrive under the check-in box (which
    /// a check-in's own verdict closes)?
    pub fn under_checkin(&self, source: ScanSource) -> bool {
        self.checkin.is_some() && source != ScanSource::CheckIn
    }

    fn open_checkin(&mut self, query: &str) -> Vec<Effect> {
        let (c, fx) = CheckIn::new(query);
        self.checkin = Some(c);
        fx
    }

    /// Keys while K is typed after `+`.
    fn persons_key(&mut self, action: Action, cx: &mut Ctx) {
        let Some(k) = self.persons_entry.as_mut() else { return };
        match action {
            Action::ScanChar(c, _) if c.is_ascii_digit() && k.len() < K_DIGITS => k.push(c),
            Action::ScanBackspace => {
                k.pop();
            }
            Action::Back => self.persons_entry = None,
            Action::ScanSubmit => match Self::parse_k(k) {
                Some(n) => {
                    self.next.persons = Some(n);
                    self.persons_entry = None;
                }
                None if k.is_empty() => self.persons_entry = None,
                None => cx.warn(format!("K is 1 to {}: how many of the group come in now", crate::domain::rules::MAX_PERSONS)),
            },
            _ => {}
        }
    }

    fn parse_k(k: &str) -> Option<u32> {
        k.parse::<u32>().ok().filter(|n| (1..=crate::domain::rules::MAX_PERSONS).contains(n))
    }

    /// The scan to send, carrying the mode set for it; the mode is spent.
    /// A K typed but not yet confirmed counts: a scan is its Enter.
    pub fn send(&mut self, payload: String, source: ScanSource) -> Vec<Effect> {
        if let Some(k) = self.persons_entry.take().as_deref().and_then(Self::parse_k) {
            self.next.persons = Some(k);
        }
        let opts = std::mem::take(&mut self.next);
        self.busy = true;
        vec![Effect::Scan { payload, source, opts }]
    }

    /// The mode in words for the Code box: None for a plain scan.
    pub fn mode_text(&self, dir: GateDirection) -> Option<String> {
        let exit = self.next.exit || dir == GateDirection::Out;
        let what = match (exit, self.next.persons) {
            (false, None) => return None,
            (true, None) => "EXIT".to_string(),
            (false, Some(k)) => format!("ADMIT {k} OF THE GROUP"),
            (true, Some(k)) => format!("EXIT {k} OF THE GROUP"),
        };
        // An exit gate is always so: only a mode set by a key is "next".
        Some(if self.next == ScanOpts::default() { "EXIT GATE: every scan records an exit".into() } else { format!("NEXT SCAN: {what}") })
    }

    /// Send a read to the core, unless it is the wedge scanner reading the
    /// same code again a moment later.
    pub fn submit(&mut self, text: String, source: ScanSource, now: Option<Instant>) -> Vec<Effect> {
        if source == ScanSource::Wedge {
            let now = now.unwrap_or_else(Instant::now);
            if let Some((last, at)) = &self.last_wedge
                && last.eq_ignore_ascii_case(&text)
                && now.saturating_duration_since(*at) < WEDGE_DEBOUNCE
            {
                // One card, read twice: say so, and show its verdict again.
                self.same_again = true;
                self.shown_at = Some(now);
                self.expired = false;
                return vec![];
            }
            self.last_wedge = Some((text.clone(), now));
        }
        self.send(text, source)
    }

    /// On a tick: a verdict goes back to READY after `show_for`.
    pub fn tick(&mut self, now: Instant, show_for: Duration) {
        if self.last.is_none() {
            return;
        }
        let since = *self.shown_at.get_or_insert(now);
        if now.saturating_duration_since(since) >= show_for {
            self.expired = true;
            self.same_again = false;
        }
    }

    /// The verdict to show now, if its time is not up.
    pub fn showing(&self) -> Option<&ScanOutcome> {
        self.last.as_ref().filter(|_| !self.expired)
    }

    /// The core's verdict: shown, listed, and rung when `sound` is on.
    pub fn scanned(&mut self, out: ScanOutcome, source: ScanSource, photo: Option<Photo>, sound: bool) -> Vec<Effect> {
        self.busy = false;
        self.shown_at = None;
        self.expired = false;
        self.same_again = false;
        self.seq += 1;
        self.photo = photo;
        if source == ScanSource::CheckIn {
            self.checkin = None;
        }
        let bell = match out.verdict {
            v if v.admits() => Bell::Admit,
            Verdict::AlreadyUsed => Bell::AlreadyUsed,
            _ => Bell::Deny,
        };
        self.recent.push_front((out.clone(), source));
        self.recent.truncate(RECENT);
        self.last = Some(out);
        if sound { vec![Effect::Bell(bell), Effect::LoadStats] } else { vec![Effect::LoadStats] }
    }
}

/// The words drawn big: how many to let in, or why not.
pub fn big_word(o: &ScanOutcome) -> String {
    match (o.verdict, &o.pass) {
        // Part of a group: the people this scan lets in, not the pass's size.
        (Verdict::Admitted, _) if o.persons.is_some() => format!("ADMIT {}", o.persons.map_or(0, |n| n.this_scan)),
        (Verdict::Admitted, Some(p)) => format!("ADMIT {}", p.persons),
        _ if foreign(o) => "NOT A PASS".into(),
        (v, _) => word(v).to_string(),
    }
}

/// A code from another system (a URL, a payment link, a shop's barcode):
/// its own verdict, so the operator knows it is not a damaged pass.
pub fn foreign(o: &ScanOutcome) -> bool {
    use crate::domain::payload::Malformed;
    o.verdict == Verdict::Malformed && (o.reason == Malformed::NotOurs.to_string() || o.reason == Malformed::TooLong.to_string())
}

/// The word for each verdict.
pub fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::Admitted => "ADMITTED",
        Verdict::AlreadyUsed => "ALREADY USED",
        Verdict::Voided => "VOIDED",
        Verdict::ResidentIn => "RESIDENT IN",
        Verdict::ResidentOut => "RESIDENT OUT",
        Verdict::ResidentInactive => "INACTIVE",
        Verdict::Unknown => "UNKNOWN",
        Verdict::Forged => "FORGED",
        Verdict::Malformed => "MALFORMED",
        Verdict::WrongSlot => "WRONG SLOT",
        Verdict::AlreadyUsedToday => "USED TODAY",
        Verdict::AlreadyInside => "ALREADY INSIDE",
        Verdict::NotInside => "NOT INSIDE",
        Verdict::Exited => "EXITED",
        Verdict::NotToday => "NOT TODAY",
        Verdict::WrongGate => "WRONG GATE",
        Verdict::AtCapacity => "AT CAPACITY",
    }
}

/// A reason with its stored stamps in local time (`already inside:
/// admitted 23:53:43 at Main Gate`): the operator reads the clock on the wall.
fn local_stamps(reason: &str) -> String {
    crate::domain::clock::map_stamps(reason, |t| crate::domain::clock::shown(t, "%H:%M:%S"))
}

/// A group's arrivals after this scan: "1 of 2, 1 still to come", "2 of 2".
pub fn group_line(n: Persons) -> String {
    let so_far = n.of.saturating_sub(n.still_to_come);
    match n.still_to_come {
        0 => format!("{so_far} of {}", n.of),
        left => format!("{so_far} of {}, {left} still to come", n.of),
    }
}

fn details(o: &ScanOutcome) -> Vec<String> {
    let mut v = Vec::new();
    match o.verdict {
        Verdict::Admitted => {
            if let Some(p) = &o.pass {
                v.push(p.holders());
                if let Some(n) = o.persons {
                    v.push(group_line(n));
                }
                v.push(format!("{} pass · {} person{} · {}", p.pass_type, p.persons, if p.persons == 1 { "" } else { "s" }, p.slot));
            }
        }
        // Going out is no denial: who, and how many are still inside.
        Verdict::Exited => v.push(text::keep_brackets(&o.reason)),
        Verdict::AlreadyUsed => {
            if let Some(fu) = &o.first_use {
                v.push(format!("First used at {} by {} at {}", hhmmss(&fu.at), fu.operator, fu.gate));
            }
            if let Some(p) = &o.pass {
                v.push(format!("{} · {} × {}", p.holders(), p.pass_type, p.persons));
            }
        }
        Verdict::ResidentIn | Verdict::ResidentOut | Verdict::ResidentInactive => {
            if let Some(r) = &o.resident {
                v.push(format!(
                    "{} · room {}{}",
                    r.name,
                    r.room,
                    if r.floor.is_empty() { String::new() } else { format!(", floor {}", r.floor) }
                ));
            }
            v.push(o.reason.clone());
        }
        _ if foreign(o) => v.push("DENY: not a gatehouse pass (a code from another system)".into()),
        _ => {
            v.push(format!("DENY: {}", text::keep_brackets(&local_stamps(&o.reason))));
            // Whose pass it is, so the operator can speak to the guest by name.
            if let Some(p) = &o.pass {
                v.push(format!("{} · {} × {}", p.holders(), p.pass_type, p.persons));
            }
        }
    }
    // Stored names and reasons as the CLI prints them: bidi and controls escaped.
    v.into_iter().map(|l| visible(&l).into_owned()).collect()
}

fn render(scan: &ScanState, v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    // The verdict takes what is left once the entry and the lists have
    // their rows, so a banner above (a conflict) shrinks the verdict, not
    // the People box.
    let bottom_h = if area.height >= 30 { area.height * 2 / 5 } else { 7 };
    let [verdict_area, entry_area, bottom] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(3), Constraint::Length(bottom_h)]).areas(area);
    render_verdict(scan, theme, verdict_area, buf);

    render_entry(scan, v, entry_area, buf);

    let right_w = if bottom.width >= 110 { 44 } else { 30 };
    let [recent_area, side] = Layout::horizontal([Constraint::Min(20), Constraint::Length(right_w)]).areas(bottom);
    render_recent(scan, theme, recent_area, buf);
    render_side(v, side, buf);
    if let Some(c) = &scan.checkin {
        // A verdict that arrives while the box is open stays in full above it.
        let r = if scan.showing().is_some() { Rect { y: entry_area.y, height: area.bottom() - entry_area.y, ..area } } else { area };
        c.render(theme, r, buf);
    }
}

/// The Code box: what is typed, and the mode the next scan is in, loud
/// enough to see from the gate (its title, in a colour of its own).
fn render_entry(scan: &ScanState, v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    let busy = if scan.busy { " · checking…" } else { "" };
    let mode = scan.mode_text(v.cfg.gate_direction());
    let (title, line) = if let Some(k) = &scan.persons_entry {
        (
            Span::styled(" ADMIT HOW MANY OF THE GROUP? ", theme.mode()),
            Line::from(vec![
                Span::raw("K = "),
                Span::raw(k.clone()),
                Span::styled("▏", theme.focus()),
                Span::styled("  Enter sets it for the next scan", theme.dim()),
            ]),
        )
    } else {
        let title = match &mode {
            Some(m) => Span::styled(format!(" {m}{busy} "), theme.mode()),
            None => Span::raw(format!(" Code{busy} ")),
        };
        let line = if !scan.entry.is_empty() {
            Line::from(vec![Span::raw(scan.entry.clone()), Span::styled("▏", theme.focus())])
        } else if scan.next != ScanOpts::default() {
            Line::from(Span::styled("scan now: this one scan only · Esc cancels", theme.dim()))
        } else {
            Line::from(Span::styled("scan a pass, or type its code and press Enter", theme.dim()))
        };
        (title, line)
    };
    let block = Block::bordered().title(title);
    let block = if mode.is_some() || scan.persons_entry.is_some() { block.border_style(theme.mode()) } else { block };
    Paragraph::new(line).block(block).render(area, buf);
}

/// A scan's verdict over whatever screen or dialog is open, when the Scan
/// screen's own verdict box is not in view.
pub fn render_strip(scan: &ScanState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(o) = scan.showing() else { return };
    let style = theme.verdict(o.verdict);
    let mut lines = vec![Line::from(Span::styled(format!("*** {} ***", big_word(o)), style))];
    if let Some(n) = &o.note {
        lines.push(Line::from(Span::styled(format!(" NOTE: {} ", text::keep_brackets(&visible(n))), theme.note())));
    }
    lines.extend(details(o).into_iter().map(Line::from));
    if let Some(w) = &o.warning {
        lines.push(Line::from(format!("WARNING: {w}")));
    }
    let r = Rect { height: (lines.len() as u16 + 2).min(area.height), ..area };
    ratatui::widgets::Clear.render(r, buf);
    let title = format!(" scan #{} {} · {} · {} ", scan.seq, o.verdict.as_str(), hhmmss(&o.at), o.gate);
    Paragraph::new(lines)
        .block(Block::bordered().title(Span::styled(title, style)).border_style(style))
        .wrap(Wrap { trim: true })
        .render(r, buf);
}

fn render_verdict(scan: &ScanState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(o) = scan.showing() else {
        let block = Block::bordered().title(" Verdict ");
        let inner = block.inner(area);
        block.render(area, buf);
        let scale = bigtext::scale_for("READY", inner.width, inner.height).unwrap_or(1).min(2);
        if !bigtext::render_at("READY", scale, inner, buf, theme.dim()) {
            Paragraph::new("READY").style(theme.dim()).render(inner, buf);
        }
        return;
    };
    let style = theme.verdict(o.verdict);
    let how = if o.manual { " · manual" } else { "" };
    let title = format!(" #{} {} · {} · {}{how} ", scan.seq, o.verdict.as_str(), hhmmss(&o.at), o.gate);
    let block = Block::bordered().title(Span::styled(title, style)).border_style(style);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = details(o);
    if let Some(w) = &o.warning {
        lines.insert(0, format!("WARNING: {}", text::keep_brackets(&visible(w))));
    }
    if o.repeated {
        lines.insert(0, "repeated read: no change".into());
    }
    if scan.same_again {
        lines.insert(0, "SAME CARD AGAIN: read twice, counted once".into());
    }
    // The note goes first, in its own colour: the operator must not miss it.
    if let Some(n) = &o.note {
        lines.insert(0, format!(" NOTE: {} ", text::keep_brackets(&visible(n))));
    }
    let photo_w = if scan.photo.is_some() && inner.width >= 90 { PHOTO_COLS } else { 0 };
    let [text_area, photo_area] = Layout::horizontal([Constraint::Min(10), Constraint::Length(photo_w)]).areas(inner);
    // As large as the box allows beside the detail lines: 5 rows at 80x24,
    // more at 120x40; a long word too wide for 80 columns in its short form.
    let room = |gap: u16| text_area.height.saturating_sub(gap + lines.len() as u16);
    let mut big = big_word(o);
    if bigtext::scale_for(&big, text_area.width, room(1)).is_none() && o.verdict == Verdict::AlreadyInside {
        big = "ALREADY IN".into();
    }
    // Short of rows (a conflict banner above), the blank row under the word goes first.
    let gap = u16::from(bigtext::scale_for(&big, text_area.width, room(1)).is_some());
    let scale = bigtext::scale_for(&big, text_area.width, room(gap));
    let fits = scale.is_some();
    let big_h = bigtext::HEIGHT * scale.unwrap_or(1) + gap;
    let detail_area = if let Some(scale) = scale {
        bigtext::render_at(&big, scale, Rect { height: big_h - gap, ..text_area }, buf, style);
        Rect { y: text_area.y + big_h, height: text_area.height - big_h, ..text_area }
    } else {
        lines.insert(0, format!("*** {big} ***"));
        text_area
    };
    let text: Vec<Line> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let note = o.note.is_some() && i == usize::from(!fits);
            if i == 0 && !fits {
                Line::from(Span::styled(l, style))
            } else if note {
                Line::from(Span::styled(l, theme.note()))
            } else {
                Line::from(Span::styled(l, Style::default()))
            }
            .centered()
        })
        .collect();
    Paragraph::new(text).wrap(Wrap { trim: true }).render(detail_area, buf);
    if let Some(photo) = &scan.photo
        && photo_w > 0
    {
        ratatui_image::Image::new(&photo.0).render(photo_area, buf);
    }
}

fn render_recent(scan: &ScanState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let room = area.height.saturating_sub(2) as usize;
    let w = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = scan
        .recent
        .iter()
        .take(room)
        .map(|(o, src)| {
            let who = o
                .pass
                .as_ref()
                .map(|p| p.holders())
                .or_else(|| o.resident.as_ref().map(|r| format!("{} {}", r.name, r.room)))
                .unwrap_or_default();
            let src = match src {
                ScanSource::Camera => "cam",
                ScanSource::Wedge => "usb",
                ScanSource::Manual => "key",
                ScanSource::CheckIn => "man",
            };
            // A group's part before the name: "1/2 Ravi Kumar & …".
            let who = match o.persons {
                Some(n) if o.verdict == Verdict::Admitted => format!("{}/{} {who}", n.of.saturating_sub(n.still_to_come), n.of),
                // No one to name: why, in short ("not a gatehouse pass").
                _ if who.is_empty() && foreign(o) => "not a gatehouse pass".into(),
                _ if who.is_empty() => o.reason.clone(),
                _ => who,
            };
            // HH:MM src VERDICT: 23 cells; the name gets the rest, whole or with `…`.
            Line::from(vec![
                Span::raw(format!("{} {src} ", hhmm(&o.at))),
                Span::styled(format!("{:<VERDICT_COL$} ", short_word(o.verdict)), theme.verdict(o.verdict)),
                Span::raw(text::fit(&visible(&who), w.saturating_sub(11 + VERDICT_COL)).into_owned()),
            ])
        })
        .collect();
    // The title counts the rows in view: a short box says how many it shows.
    let n = lines.len();
    let kept = scan.recent.len();
    let title = if n < kept { format!(" Last {n} of {kept} scans ") } else { format!(" Last {n} scan{} ", if n == 1 { "" } else { "s" }) };
    Paragraph::new(lines).block(Block::bordered().title(title)).render(area, buf);
}

/// The verdict column of the last scans: as wide as the longest short word.
const VERDICT_COL: usize = 12;

/// A verdict's word for the list, at most `VERDICT_COL` cells: the code's
/// own name where it fits, else a short one that still reads.
pub fn short_word(v: Verdict) -> &'static str {
    match v {
        Verdict::ResidentInactive => "INACTIVE",
        Verdict::AlreadyUsedToday => "USED_TODAY",
        Verdict::AlreadyInside => "IN_ALREADY",
        v => v.as_str(),
    }
}

/// `HH:MM` local time, for the list of last scans.
fn hhmm(stamp: &str) -> String {
    let t = hhmmss(stamp);
    t.get(..5).map(str::to_string).unwrap_or(t)
}

fn render_side(v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    let caps = capacity_spans(v);
    let counts_h = if caps.is_empty() { 3 } else { 4 };
    let [counts, cam] = Layout::vertical([Constraint::Length(counts_h), Constraint::Min(3)]).areas(area);
    // Counts are the server's: offline they are the last it gave, and with
    // none yet (started offline) a dash, never a 0 that looks like a count.
    let (people, inside) = v.stats.map_or(("–".to_string(), " · inside –".to_string()), |s| {
        // With a venue capacity the line below has the guests inside (the
        // Stats screen has the residents).
        let inside = if s.venue_capacity.is_some() { String::new() } else { format!(" · inside {}", s.occupancy()) };
        (s.people_admitted.to_string(), inside)
    });
    let worst = caps.iter().map(|c| c.level).max().unwrap_or(Level::Room);
    let title = match (v.stats_offline.is_some(), v.stats.is_some(), worst) {
        (true, true, _) => Span::raw(" People · server, last known "),
        (true, false, _) => Span::raw(" People · server not reached "),
        (_, _, Level::Full) => Span::styled(" People · AT CAPACITY ", theme.at_capacity()),
        (_, _, Level::Nearly) => Span::styled(" People · NEARLY FULL ", theme.nearly_full()),
        _ => Span::raw(" People "),
    };
    let mut lines = vec![Line::from(vec![Span::raw(" Admitted "), Span::styled(people, theme.ok()), Span::raw(inside)])];
    if !caps.is_empty() {
        let mut spans = vec![Span::raw(" ")];
        for (i, c) in caps.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" · "));
            }
            let style = match c.level {
                Level::Full => theme.at_capacity(),
                Level::Nearly => theme.nearly_full(),
                Level::Room => Style::default(),
            };
            spans.push(Span::styled(c.text.clone(), style));
        }
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines).block(Block::bordered().title(title)).render(counts, buf);
    let block = Block::bordered().title(if v.camera_ok { " Camera " } else { " Camera · none " });
    let inner = block.inner(cam);
    block.render(cam, buf);
    match v.preview {
        Some(img) if v.camera_ok => halfblock::render(img, inner, buf, theme.color),
        _ => {
            // Two short lines fit the smallest box: what the camera said, then
            // what to do; with one row (a capacity line above), what to do.
            let w = inner.width as usize;
            let msg = if v.camera_ok {
                vec![Line::from("waiting for a frame…")]
            } else if inner.height < 2 {
                vec![Line::from(text::fit("use the USB scanner or type", w).into_owned())]
            } else {
                vec![
                    Line::from(text::fit(&visible(v.camera), w).into_owned()),
                    Line::from(text::fit("use the USB scanner or type", w).into_owned()),
                ]
            };
            Paragraph::new(msg).style(theme.dim()).render(inner, buf);
        }
    }
}

/// How full a venue or zone is: room, at 90% (warned before the cap), full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Room,
    Nearly,
    Full,
}

impl Level {
    pub fn of(inside: u64, cap: u32) -> Level {
        let cap = u64::from(cap);
        if inside >= cap {
            Level::Full
        } else if inside * 10 >= cap * 9 {
            Level::Nearly
        } else {
            Level::Room
        }
    }
}

/// One capacity this gate counts against, as "venue 37/500".
pub struct Cap {
    pub text: String,
    pub level: Level,
}

/// The venue's capacity and this gate's zone's, inside now of each.
pub fn capacity_spans(v: &View) -> Vec<Cap> {
    let Some(s) = v.stats else { return vec![] };
    let mut caps = Vec::new();
    if let Some(cap) = s.venue_capacity {
        caps.push(Cap { text: format!("venue {}/{cap}", s.inside_now), level: Level::of(s.inside_now, cap) });
    }
    if let Some((name, z)) = s.capped_zone_of(v.gate)
        && let Some(cap) = z.capacity
    {
        caps.push(Cap { text: format!("{} {}/{cap}", text::fit(&visible(name), 10), z.inside), level: Level::of(z.inside, cap) });
    }
    caps
}
