//! Drawing: the frame (header, tabs, footer), the open screen (drawn by
//! itself from a `View`) and any overlay. Rendering only reads.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Screen};
use super::screens;
use super::screens::conflicts::side;
use super::theme::Theme;
use super::widgets::layout::centered;
use super::widgets::text::{self, visible};

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    render(app, theme, area, f.buffer_mut());
    // Put the terminal cursor nowhere: inputs draw their own.
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Widget;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}x{}. gatehouse needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge the window.",
            area.width, area.height
        );
        Paragraph::new(msg).wrap(Wrap { trim: true }).style(theme.error()).render(area, buf);
        return;
    }
    // A long message (a print or export error) takes a second footer line
    // rather than being cut.
    let long = app.status.as_ref().is_some_and(|s| s.text.chars().count() + 1 > area.width as usize);
    let footer_h = if long { 2 } else { 1 };
    let banner = banner_lines(app, theme);
    let [header, tabs, banner_area, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banner.len() as u16),
        Constraint::Min(1),
        Constraint::Length(footer_h),
    ])
    .areas(area);
    render_header(app, theme, header, buf);
    render_tabs(app, theme, tabs, buf);
    Paragraph::new(banner).render(banner_area, buf);
    app.open().render(&app.view(theme), body, buf);
    render_footer(app, theme, footer, buf);
    if let Some(list) = &app.conflict_list {
        list.render(&app.open_list(), theme, body, buf);
    }
    if app.help {
        render_help(app, theme, body, buf);
    }
    let scan_box_seen = app.screen == Screen::Scan && !app.help && !app.confirm_quit && !app.confirm_sign_out;
    if app.actor.is_some() && !scan_box_seen && app.verdict_strip == Some(app.screens.scan.seq) {
        screens::scan::render_strip(&app.screens.scan, theme, body, buf);
    }
    if app.confirm_quit || app.confirm_sign_out {
        let (title, question) = match (app.confirm_quit, app.has_unsaved_input()) {
            (true, true) => (" Quit ", "Unsaved input will be lost. Quit?"),
            (true, false) => (" Quit ", "Quit gatehouse?"),
            (false, _) => (" Sign out ", "Unsaved input will be lost. Sign out?"),
        };
        let r = centered(body, 50, 5);
        Clear.render(r, buf);
        Paragraph::new(vec![Line::from(""), Line::from(Span::styled(format!("  {question}  y / n"), theme.error()))])
            .block(Block::bordered().title(title))
            .render(r, buf);
    }
    scrub(buf, area);
}

/// The last guard: a control, bidi or other hidden character that reached
/// the buffer unescaped is drawn as U+FFFD, never sent to the terminal raw.
fn scrub(buf: &mut Buffer, area: Rect) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            // Joiners inside a cluster shape Indic letters; elsewhere they hide.
            let joiner = |c: char| matches!(c, '\u{200c}' | '\u{200d}');
            let sym = cell.symbol();
            let lone_joiner = sym.chars().all(joiner);
            if lone_joiner || sym.chars().any(|c| crate::domain::text::is_hidden(c) && !joiner(c)) {
                cell.set_symbol("\u{fffd}");
            }
        }
    }
}

/// Lines above the screen on an offline-capable gate: the conflict alert
/// (every screen, until acknowledged), and what being offline or stale
/// means here (Scan: where verdicts come from; other screens: that they
/// need the server).
pub fn banner_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let Some(v) = app.sync_view() else { return vec![] };
    if app.actor.is_none() {
        return vec![];
    }
    let mut lines = Vec::new();
    if let Some((c, open)) = app.alert() {
        let short = c.pass.chars().take(8).collect::<String>();
        let voided = c.kind == "voided";
        let more = if open > 1 { format!("   ({open} open: F9 lists them)") } else { String::new() };
        if c.kind == "refused" || c.kind == "over_capacity" {
            let what = if short.is_empty() { String::new() } else { format!(" (pass {short})") };
            let (head, offline) =
                if c.kind == "refused" { ("offline upload refused", &c.second) } else { ("admitted offline past capacity", &c.first) };
            lines.push(Line::from(Span::styled(format!(" CONFLICT: {head}{what} · F9 list to acknowledge"), theme.error())));
            lines
                .push(Line::from(Span::styled(format!("   why      {}{more}", visible(c.reason.as_deref().unwrap_or(""))), theme.error())));
            lines.push(Line::from(Span::styled(format!("   offline  {}", side(offline)), theme.error())));
        } else {
            // For a void, `first` is the void and `second` the offline admission:
            // say which came first by their times, not by upload order.
            let admitted_first = crate::domain::clock::parse_stamp(&c.second.at)
                .zip(crate::domain::clock::parse_stamp(&c.first.at))
                .is_some_and(|(admitted, void)| admitted < void);
            let what = match (voided, admitted_first) {
                (true, true) => format!("pass {short} admitted offline, then voided"),
                (true, false) => format!("pass {short} admitted offline after it was voided"),
                // A daily or re-entry pass: the reason names the rule it broke.
                _ => match &c.reason {
                    Some(why) => format!("pass {short}: {}", visible(why)),
                    None => format!("pass {short} admitted twice, counted once"),
                },
            };
            lines.push(Line::from(Span::styled(format!(" CONFLICT: {what} · F9 list to acknowledge"), theme.error())));
            if voided {
                lines.push(Line::from(Span::styled(format!("   voided   {}{more}", side(&c.first)), theme.error())));
                lines.push(Line::from(Span::styled(format!("   admitted {} (offline)", side(&c.second)), theme.error())));
            } else {
                let [(a, oa), (b, ob)] = c.in_order();
                let mark = |offline: bool| if offline { " (offline)" } else { "" };
                lines.push(Line::from(Span::styled(format!("   first    {}{}{more}", side(a), mark(oa)), theme.error())));
                lines.push(Line::from(Span::styled(format!("   second   {}{}", side(b), mark(ob)), theme.error())));
            }
        }
    }
    let f = &v.fresh;
    let age = crate::service::offline::age_text(f.replica_age_secs);
    let limit = crate::service::offline::age_text(Some(app.cfg.offline.stale_secs));
    match app.screen {
        Screen::Scan if f.stale && f.replica_age_secs.is_none() => lines.push(Line::from(Span::styled(
            format!(" {}: this gate's replica was never pulled; offline it knows no pass", if f.online { "NOT SYNCED" } else { "OFFLINE" }),
            theme.error(),
        ))),
        Screen::Scan if f.stale => lines.push(Line::from(Span::styled(
            format!(" {}REPLICA STALE: {age} old, over the {limit} limit; may miss voids", if f.online { "" } else { "OFFLINE · " }),
            theme.error(),
        ))),
        Screen::Scan if !f.online => lines.push(Line::from(Span::styled(
            format!(" OFFLINE: verdicts from this gate's replica ({age} old) · {} queued for upload", f.queued),
            theme.title(),
        ))),
        Screen::Scan | Screen::Login => {}
        s if !f.online => lines.push(Line::from(Span::styled(
            format!(" OFFLINE: {} needs the server; scanning goes on from the replica", s.title()),
            theme.error(),
        ))),
        _ => {}
    }
    lines
}

fn render_header(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Widget;
    Paragraph::new(header_text(app, area.width as usize)).style(theme.header()).render(area, buf);
}

/// The header in `width` cells. The gate, who is signed in (with the
/// role), the link state and the clock are kept whole; the camera and then
/// the event name give up their room first, cut with `…`.
pub fn header_text(app: &App, width: usize) -> String {
    let who = app.actor.as_ref().map_or("not signed in".to_string(), |a| format!("{} ({})", a.username, a.role.as_str()));
    // Every console on a shared database runs the sync job; its view is the link's state.
    let db = app.sync.clone().map(|mut v| {
        v.open_conflicts = app.open_conflicts();
        super::offline::header_text(&v)
    });
    let gate = visible(&app.gate);
    let event = visible(&app.cfg.event.name);
    let camera = visible(&app.camera);
    let fixed = format!(" │ {gate} │ {who}");
    let tail = format!("{}{} ", db.as_ref().map_or(String::new(), |d| format!("{d} │ ")), app.clock);
    // What is left for " event" and "cam: camera │ ", with a space between the halves.
    let room = width.saturating_sub(text::width(&fixed) + text::width(&tail) + 1);
    let cam_want = text::width(&camera) + 8;
    let event_want = text::width(&event) + 1;
    let cam_room = cam_want.min(room.saturating_sub(event_want.min(room / 2)));
    let event_room = room.saturating_sub(cam_room).min(event_want);
    let left =
        if event_room >= 8 { format!("{}{fixed}", text::fit(&format!(" {event}"), event_room)) } else { format!(" {gate} │ {who}") };
    let cam = if cam_room >= 10 { format!("{} │ ", text::fit(&format!("cam: {camera}"), cam_room - 3)) } else { String::new() };
    let right = match &db {
        Some(d) => format!("{d} │ {cam}{} ", app.clock),
        None => format!("{cam}{} ", app.clock),
    };
    let pad = width.saturating_sub(text::width(&left) + text::width(&right));
    text::fit(&format!("{left}{}{right}", " ".repeat(pad)), width).into_owned()
}

fn render_tabs(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Widget;
    let mut spans = vec![Span::raw(" ")];
    // Each screen's key is the same for every role: F2 Scan … F7 Stats, F10 Users.
    // Padded where they fit; an admin's seven tabs at 80 columns go without.
    let tabs = app.tabs();
    let labels = |pad: &str| -> Vec<String> {
        tabs.iter().map(|s| format!("{pad}F{} {}{pad}", s.fkey().unwrap_or(0), s.title())).collect::<Vec<_>>()
    };
    let mut shown = labels(" ");
    if shown.iter().map(|l| text::width(l) + 1).sum::<usize>() + 1 > area.width as usize {
        shown = labels("");
    }
    for (s, label) in tabs.iter().zip(shown) {
        spans.push(if *s == app.screen { Span::styled(label, theme.selected()) } else { Span::raw(label) });
        spans.push(Span::raw(" "));
    }
    if app.actor.is_none() {
        spans.push(Span::styled(" Sign in ", theme.selected()));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The keys of the current screen, or the last status message.
pub fn footer_keys(app: &App) -> &'static str {
    if app.conflict_list.is_some() {
        return "↑↓ choose  Enter acknowledge  a all  Esc close";
    }
    if app.prompt_open() {
        return if app.prompt_is_confirm() { "y confirm  n/Esc cancel" } else { "Enter ok  Esc cancel" };
    }
    app.open().footer()
}

fn render_footer(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Widget;
    let line = match &app.status {
        Some(s) => Line::from(Span::styled(format!(" {}", visible(&s.text)), if s.error { theme.error() } else { theme.ok() })),
        None => Line::from(Span::styled(format!(" {}", footer_keys(app)), theme.dim())),
    };
    Paragraph::new(line).wrap(Wrap { trim: false }).render(area, buf);
}

/// Function keys with runs shortened: `F2…F7 F10`.
fn key_runs(keys: &[u8]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i;
        while j + 1 < keys.len() && keys[j + 1] == keys[j] + 1 {
            j += 1;
        }
        out.push(if j > i + 1 { format!("F{}…F{}", keys[i], keys[j]) } else { format!("F{}", keys[i]) });
        if j == i + 1 {
            out.push(format!("F{}", keys[j]));
        }
        i = j + 1;
    }
    out.join(" ")
}

fn render_help(app: &App, theme: &Theme, body: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Widget;
    let r = centered(body, 80, body.height);
    Clear.render(r, buf);
    let k = |key: &str, what: &str| Line::from(vec![Span::styled(format!("  {key:<16}"), theme.key()), Span::raw(what.to_string())]);
    // 19 lines at most: the help fits in the smallest window, 80x24.
    // The screens this user has, by their fixed keys (number keys work too, off Scan).
    let tabs = app.tabs();
    let mine: Vec<String> = tabs.iter().filter_map(|s| s.fkey().map(|k| format!("F{k} {}", s.title()))).collect();
    let admin = app.actor.as_ref().is_some_and(|a| a.is_admin());
    let fkeys: Vec<u8> = tabs.iter().filter_map(|s| s.fkey()).collect();
    let titles: Vec<&str> = tabs.iter().map(|s| s.title()).collect();
    let mut lines = vec![
        Line::from(Span::styled(" Everywhere", theme.title())),
        k("Tab / Shift-Tab", &format!("next / previous screen (number keys 1-{} off Scan)", Screen::FIXED.len())),
        if admin { k(&key_runs(&fkeys), &titles.join(" ")) } else { k("F2  F7", &mine.join("  ")) },
        k("? / F1  Esc", "this help (any key closes it);  Esc goes back"),
        k("q / Ctrl-C  F8", "quit (always asks);  sign out (camera, last scans stay)"),
        k("USB scanner", "its burst is a scan on every screen; it never types a key"),
        Line::from(Span::styled(" Scan", theme.title())),
        k("code+Enter  /", "scan a typed code;  / check-in by name, phone or ticket id"),
        k("<   + K Enter", "next scan only: an exit (both gates);  admit K of a group"),
    ];
    if !admin {
        let theirs: Vec<Screen> = Screen::FIXED.into_iter().filter(|s| s.admin_only()).collect();
        let keys: Vec<String> = theirs.iter().filter_map(|s| s.fkey().map(|k| format!("F{k}"))).collect();
        let names: Vec<&str> = theirs.iter().map(|s| s.title()).collect();
        lines.insert(3, k(&keys.join(" "), &format!("{}: admins only", names.join(", "))));
    }
    if admin {
        lines.extend([
            Line::from(Span::styled(" Issue", theme.title())),
            k("↑↓ ←→ Enter", "fields; choose type, payment, slot; Enter on [Issue] issues"),
            k("p  s  n", "after issuing: print, save PNG, issue another"),
            Line::from(Span::styled(" Passes", theme.title())),
            k("/  t s m o", "search; filter type, status, payment; sort"),
            k("Enter v u p e", "detail, void, unscan, print, export CSV"),
            Line::from(Span::styled(" Residents · Ledger · Users", theme.title())),
            k("/ a Enter d p", "search, add, detail with QR, deactivate, print; F5 photo"),
            k("v  b  r", "Ledger: verify, back up now (the key stays out), refresh"),
            k("a  u  d  p", "Users: add, unlock, disable or enable, new password"),
        ]);
    }
    Paragraph::new(lines).block(Block::bordered().title(" Keys ").border_style(theme.focus())).render(r, buf);
}
