//! Event passes: single use, one or two holders, paid in cash or online.

use serde::{Deserialize, Serialize};

use super::validate::{self, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PaymentMode {
    Cash,
    Online,
}

impl PaymentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMode::Cash => "CASH",
            PaymentMode::Online => "ONLINE",
        }
    }
    pub fn parse(s: &str) -> Option<PaymentMode> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CASH" => Some(PaymentMode::Cash),
            "ONLINE" => Some(PaymentMode::Online),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassStatus {
    Unused,
    Used,
    Void,
}

impl PassStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PassStatus::Unused => "unused",
            PassStatus::Used => "used",
            PassStatus::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<PassStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unused" => Some(PassStatus::Unused),
            "used" => Some(PassStatus::Used),
            "void" | "voided" => Some(PassStatus::Void),
            _ => None,
        }
    }
}

/// A pass as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    pub id: String,
    pub pass_type: String,
    pub persons: u32,
    pub holder_name: String,
    pub holder_phone: String,
    pub holder2_name: Option<String>,
    pub holder2_phone: Option<String>,
    pub price_cents: i64,
    pub payment_mode: PaymentMode,
    pub txn_ref: Option<String>,
    pub slot: String,
    pub key_id: String,
    pub created_at: String,
    pub created_by: String,
    pub scanned_at: Option<String>,
    pub scanned_by: Option<String>,
    pub gate: Option<String>,
    pub voided_at: Option<String>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
    /// People of this pass inside now.
    pub inside: u32,
    /// People admitted in the current period (see `rules::EntryState`).
    pub entered: u32,
    pub entry_day: Option<String>,
    /// The last admission when it is not the first (`scanned_at`, `gate`).
    pub last_in_at: Option<String>,
    pub last_in_gate: Option<String>,
    /// Shown loudly at the gate ("CHECK ID", "wheelchair access").
    pub note: Option<String>,
}

impl Pass {
    /// What the entry rules read and write.
    pub fn entry_state(&self) -> super::rules::EntryState {
        super::rules::EntryState {
            entered: self.entered,
            inside: self.inside,
            entry_day: self.entry_day.clone(),
            // A first admission leaves these unset: the scan's own columns say it.
            last_in_at: self.last_in_at.clone().or_else(|| self.scanned_at.clone()),
            last_in_gate: self.last_in_gate.clone().or_else(|| self.gate.clone()),
        }
    }

    pub fn status(&self) -> PassStatus {
        if self.voided_at.is_some() {
            PassStatus::Void
        } else if self.scanned_at.is_some() {
            PassStatus::Used
        } else {
            PassStatus::Unused
        }
    }
    pub fn holders(&self) -> String {
        match &self.holder2_name {
            Some(n2) => format!("{} & {}", self.holder_name, n2),
            None => self.holder_name.clone(),
        }
    }
}

/// What an admin typed, before validation.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct PassRequest {
    pub pass_type: String,
    pub name: String,
    pub phone: String,
    pub name2: Option<String>,
    pub phone2: Option<String>,
    pub payment: String,
    pub txn_ref: Option<String>,
    /// None takes the first slot in the config.
    pub slot: Option<String>,
    /// Only honoured where the config allows price overrides (bulk import).
    pub price_override: Option<String>,
    /// Shown loudly at the gate: "CHECK ID", "wheelchair access".
    #[serde(default)]
    pub note: Option<String>,
    /// Issue it even when the holder already has a live pass of this type
    /// and slot (an admin's deliberate second pass).
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// A request that passed every rule, with values normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPass {
    pub pass_type: String,
    pub persons: u32,
    pub holder_name: String,
    pub holder_phone: String,
    pub holder2_name: Option<String>,
    pub holder2_phone: Option<String>,
    pub name_key: String,
    pub price_cents: i64,
    pub payment_mode: PaymentMode,
    pub txn_ref: Option<String>,
    pub slot: String,
    pub note: Option<String>,
}

/// What makes a second pass a duplicate: the same holder (name key and
/// phone), the same type and the same slot. A type's `days` are the type's
/// own, so "the same day" is the same type; a slot names a day or a time.
/// A Day 2 pass for a Day 1 holder, or a pass for another slot, is no
/// duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolderKey<'a> {
    pub name_key: &'a str,
    pub phone: &'a str,
    pub pass_type: &'a str,
    pub slot: &'a str,
}

impl ValidPass {
    pub fn holder_key(&self) -> HolderKey<'_> {
        HolderKey { name_key: &self.name_key, phone: &self.holder_phone, pass_type: &self.pass_type, slot: &self.slot }
    }
}

/// Most characters a pass's note may have.
pub const MAX_NOTE: usize = 120;

pub fn to_cents(price: f64) -> i64 {
    (price * 100.0).round() as i64
}

pub fn format_money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{currency} {sign}{}.{:02}", c / 100, c % 100)
}

fn parse_price(s: &str) -> Option<i64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && (0.0..=10_000_000.0).contains(&v) && (v * 100.0 - (v * 100.0).round()).abs() < 1e-6).then(|| to_cents(v))
}

/// A kind of pass the event sells.
#[derive(Debug, Clone, PartialEq)]
pub struct PassType {
    pub name: String,
    /// 1 or 2.
    pub persons: u32,
    pub price_cents: i64,
}

/// The event's rules for issuing passes, as plain data (the config file
/// supplies them; the domain does not read it).
#[derive(Debug, Clone, PartialEq)]
pub struct PassRules {
    pub types: Vec<PassType>,
    /// The first is the default.
    pub slots: Vec<String>,
    /// Whether an import row may set its own price.
    pub allow_price_override: bool,
}

impl PassRules {
    /// A type by name, in any case.
    pub fn pass_type(&self, name: &str) -> Option<&PassType> {
        let name = name.trim();
        self.types.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// A slot by name, in any case and spacing, or by the label after a
    /// dated slot's times (`Day 2`) when only one slot has it.
    pub fn slot(&self, name: &str) -> Option<&str> {
        let fold = |s: &str| validate::fold_spaces(s).to_lowercase();
        let want = fold(name);
        if let Some(s) = self.slots.iter().find(|s| fold(s) == want) {
            return Some(s);
        }
        let mut by_label = self.slots.iter().filter(|s| super::slot::short_label(s).is_some_and(|l| fold(l) == want));
        match (by_label.next(), by_label.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }
}

/// Check every field and report each problem once.
pub fn validate(req: &PassRequest, rules: &PassRules) -> Result<ValidPass, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let ptype = rules.pass_type(&req.pass_type);
    if ptype.is_none() {
        let known: Vec<&str> = rules.types.iter().map(|t| t.name.as_str()).collect();
        e.add("type", format!("unknown pass type {:?}; expected one of {}", req.pass_type.trim(), known.join(", ")));
    }
    let holder_name = validate::name(&mut e, "name", &req.name);
    let holder_phone = validate::phone(&mut e, "phone", &req.phone);
    let name2 = req.name2.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let phone2 = req.phone2.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (mut holder2_name, mut holder2_phone) = (None, None);
    match ptype.map(|t| t.persons) {
        Some(2) => {
            holder2_name = Some(validate::name(&mut e, "name2", name2.unwrap_or("")));
            holder2_phone = Some(validate::phone(&mut e, "phone2", phone2.unwrap_or("")));
        }
        Some(_) => {
            if name2.is_some() {
                e.add("name2", "a single pass takes no second holder");
            }
            if phone2.is_some() {
                e.add("phone2", "a single pass takes no second holder");
            }
        }
        None => {}
    }
    let payment_mode = PaymentMode::parse(&req.payment);
    let txn = req.txn_ref.as_deref().map(validate::fold_spaces).filter(|s| !s.is_empty());
    match payment_mode {
        None => e.add("payment", format!("unknown payment mode {:?}; expected CASH or ONLINE", req.payment.trim())),
        Some(PaymentMode::Online) if txn.is_none() => e.add("txn", "an ONLINE payment needs a transaction reference"),
        Some(PaymentMode::Cash) if txn.is_some() => e.add("txn", "a CASH payment takes no transaction reference"),
        _ => {}
    }
    if let Some(t) = &txn
        && (t.chars().count() > 64 || super::text::first_hidden(t, false).is_some())
    {
        e.add("txn", "transaction reference must be at most 64 printable characters");
    }
    let slot = match req.slot.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => rules.slots.first().cloned(),
        Some(s) => match rules.slot(s) {
            Some(found) => Some(found.to_string()),
            None => {
                e.add("slot", format!("unknown time slot {s:?}; expected one of {}", rules.slots.join(", ")));
                None
            }
        },
    };
    let mut price_cents = ptype.map(|t| t.price_cents).unwrap_or(0);
    if let Some(p) = req.price_override.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match parse_price(p) {
            // The type's own price, as `export passes` writes it, is no override.
            Some(c) if c == price_cents && ptype.is_some() => {}
            Some(c) if rules.allow_price_override => price_cents = c,
            Some(_) => e.add("price", "price overrides are not allowed by the config (event.allow_price_override)"),
            None => e.add("price", format!("{p:?} is not a price")),
        }
    }
    let note = req.note.as_deref().map(|n| validate::optional_text(&mut e, "note", n, MAX_NOTE)).filter(|n| !n.is_empty());
    if !e.is_empty() {
        return Err(e);
    }
    // ok below: every Option was checked above and an error returned if None.
    let (Some(ptype), Some(payment_mode), Some(slot)) = (ptype, payment_mode, slot) else {
        return Err(e);
    };
    Ok(ValidPass {
        pass_type: ptype.name.clone(),
        persons: ptype.persons,
        name_key: validate::name_key(&holder_name),
        holder_name,
        holder_phone,
        holder2_name,
        holder2_phone,
        price_cents,
        payment_mode,
        txn_ref: txn,
        slot,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> PassRequest {
        PassRequest {
            pass_type: "single".into(),
            name: " Asha  Rao ".into(),
            phone: "+91 98765 43210".into(),
            payment: "cash".into(),
            ..Default::default()
        }
    }

    /// The sample config's rules: the tests check against what ships.
    fn rules() -> PassRules {
        crate::config::Config::default().pass_rules()
    }

    #[test]
    fn valid_single_takes_defaults() {
        let v = validate(&req(), &rules()).unwrap();
        assert_eq!(v.pass_type, "SINGLE");
        assert_eq!(v.holder_name, "Asha Rao");
        assert_eq!(v.holder_phone, "+919876543210");
        assert_eq!(v.price_cents, 54900);
        assert_eq!(v.slot, "7:00 PM - 11:00 PM");
    }

    /// Each rule gives its own message on its own field.
    #[test]
    fn each_validation_error() {
        let cfg = rules();
        type Edit = fn(&mut PassRequest);
        let cases: [(Edit, &str, &str); 12] = [
            (|r| r.name = "  ".into(), "name", "required"),
            (|r| r.name = "n".repeat(81), "name", "80"),
            (|r| r.phone = "12345".into(), "phone", "7 to 15"),
            (|r| r.phone = "98x7654321".into(), "phone", "digits"),
            (|r| r.pass_type = "VIP".into(), "type", "unknown pass type"),
            (|r| r.slot = Some("noon".into()), "slot", "unknown time slot"),
            (|r| r.payment = "CARD".into(), "payment", "unknown payment mode"),
            (|r| r.payment = "ONLINE".into(), "txn", "needs a transaction reference"),
            (|r| r.txn_ref = Some("T1".into()), "txn", "CASH payment takes no"),
            (|r| r.name2 = Some("Ravi".into()), "name2", "single pass takes no second"),
            (
                |r| {
                    r.pass_type = "COUPLE".into();
                },
                "name2",
                "required",
            ),
            (
                |r| {
                    r.pass_type = "COUPLE".into();
                    r.name2 = Some("Ravi".into());
                    r.phone2 = Some("1".into());
                },
                "phone2",
                "7 to 15",
            ),
        ];
        for (edit, field, words) in cases {
            let mut r = req();
            edit(&mut r);
            let errs = validate(&r, &cfg).expect_err(field);
            let msg = errs.get(field).unwrap_or_else(|| panic!("no error on {field}: {errs}"));
            assert!(msg.contains(words), "{field}: {msg}");
        }
    }

    #[test]
    fn couple_and_online() {
        let mut r = req();
        r.pass_type = "COUPLE".into();
        r.name2 = Some("Ravi Rao".into());
        r.phone2 = Some("9876501234".into());
        r.payment = "online".into();
        r.txn_ref = Some(" UPI-123 ".into());
        let v = validate(&r, &rules()).unwrap();
        assert_eq!((v.persons, v.price_cents, v.txn_ref.as_deref()), (2, 99900, Some("UPI-123")));
    }

    #[test]
    fn price_override_needs_config() {
        let mut r = req();
        r.price_override = Some("100".into());
        assert!(validate(&r, &rules()).unwrap_err().get("price").is_some());
        r.price_override = Some("549.00".into());
        assert_eq!(validate(&r, &rules()).unwrap().price_cents, 54900);
        r.price_override = Some("100".into());
        let mut cfg = rules();
        cfg.allow_price_override = true;
        assert_eq!(validate(&r, &cfg).unwrap().price_cents, 10000);
        r.price_override = Some("1.234".into());
        assert!(validate(&r, &cfg).is_err());
    }

    #[test]
    fn money() {
        assert_eq!(format_money(54900, "INR"), "INR 549.00");
        assert_eq!(format_money(5, "EUR"), "EUR 0.05");
    }
}
