//! Text measured as the terminal draws it: by grapheme and display width,
//! as ratatui does, never by `char`. Cutting a Devanagari name between a
//! consonant and its vowel sign leaves a mark the next frame never clears.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Cells `s` takes on screen.
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// `s` in at most `w` cells, cut between graphemes with `…` when it is
/// longer.
pub fn fit(s: &str, w: usize) -> Cow<'_, str> {
    if width(s) <= w {
        return Cow::Borrowed(s);
    }
    if w == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let gw = g.width();
        if used + gw > w - 1 {
            break;
        }
        out.push_str(g);
        used += gw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `s` in exactly `w` cells: cut with `…`, or padded with spaces.
pub fn pad(s: &str, w: usize) -> String {
    let f = fit(s, w);
    let n = width(&f);
    format!("{f}{}", " ".repeat(w.saturating_sub(n)))
}

/// `s` safe to draw: every control, invisible or text-direction character
/// written as `\u{202e}`, as the CLI prints it, so a stored name cannot
/// reorder a line or hide part of itself.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(crate::domain::text::is_hidden) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if crate::domain::text::hidden_at(&chars, i, false) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Short bracketed asides (`(17 h 38 min early)`) held together with
/// no-break spaces, so wrapping never leaves `(17` at a line's end.
pub fn keep_brackets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(if c == ' ' && depth > 0 { '\u{a0}' } else { c });
    }
    out
}

/// Whether a row that differs between two frames holds a cluster of
/// several code points (a consonant with its vowel signs) in either: the
/// terminal may give it another width than ratatui, so only redrawing the
/// whole screen leaves no stray marks.
pub fn clustered_rows_changed(prev: &ratatui::buffer::Buffer, next: &ratatui::buffer::Buffer) -> bool {
    if prev.area != next.area {
        return false;
    }
    let w = next.area.width as usize;
    let clustered = |cells: &[ratatui::buffer::Cell]| cells.iter().any(|c| c.symbol().chars().count() > 1);
    // The header (row 0) changes every second with the clock; a clear for it
    // would flicker the whole screen whenever the event's name is Devanagari.
    prev.content.chunks(w.max(1)).zip(next.content.chunks(w.max(1))).skip(1).any(|(a, b)| a != b && (clustered(a) || clustered(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devanagari_is_cut_between_graphemes_and_measured_by_width() {
        let name = "श्रीमती राधिका";
        // As ratatui's buffer lays it out: cell by cell, grapheme by grapheme.
        let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 30, 1));
        let (x, _) = buf.set_stringn(0, 0, name, 30, ratatui::style::Style::default());
        assert_eq!(width(name), x as usize);
        let cut = fit(name, 6);
        assert!(width(&cut) <= 6, "{cut}");
        assert!(name.starts_with(cut.trim_end_matches('…')));
        // No grapheme is split: the cut text re-segments to whole graphemes of the name.
        let whole: Vec<&str> = name.graphemes(true).collect();
        for g in cut.trim_end_matches('…').graphemes(true) {
            assert!(whole.contains(&g), "{g:?} is half a grapheme");
        }
        assert_eq!(width(&pad(name, 14)), 14);
        assert_eq!(fit("Ravi Kumar", 10), "Ravi Kumar");
        assert_eq!(fit("Ravi Kumar & Meena", 10), "Ravi Kuma…");
    }

    #[test]
    fn brackets_hold_together() {
        assert_eq!(keep_brackets("now 16:22 (17 h early)"), "now 16:22 (17\u{a0}h\u{a0}early)");
    }

    #[test]
    fn bidi_and_controls_are_shown_escaped() {
        assert_eq!(visible("Asha\u{202e}raM"), "Asha\\u{202e}raM");
        assert_eq!(visible("bell\u{7}"), "bell\\u{7}");
        assert_eq!(visible("श्रीमती"), "श्रीमती");
    }

    #[test]
    fn a_changed_row_with_devanagari_asks_for_a_whole_redraw() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::style::Style;
        let area = Rect::new(0, 0, 40, 3);
        let mut a = Buffer::empty(area);
        a.set_string(0, 0, "राधिका गेट │ 18:30:00", Style::default());
        a.set_string(0, 1, "ADMITTED श्रीमती राधिका", Style::default());
        a.set_string(0, 2, "Zoya Khan", Style::default());
        let mut b = a.clone();
        assert!(!clustered_rows_changed(&a, &b), "nothing changed");
        b.set_string(0, 2, "Dev Patel", Style::default());
        assert!(!clustered_rows_changed(&a, &b), "a Latin row changed");
        b.set_string(0, 0, "राधिका गेट │ 18:30:01", Style::default());
        assert!(!clustered_rows_changed(&a, &b), "the header's clock ticked");
        b.set_string(0, 1, "MALFORMED                               ", Style::default());
        assert!(clustered_rows_changed(&a, &b), "the Devanagari row changed");
    }
}
