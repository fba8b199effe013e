//! Residents: repeat-use cards whose scans toggle IN and OUT.

use serde::{Deserialize, Serialize};

use super::validate::{self, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Presence {
    In,
    Out,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::In => "IN",
            Presence::Out => "OUT",
        }
    }
    pub fn parse(s: &str) -> Option<Presence> {
        match s {
            "IN" => Some(Presence::In),
            "OUT" => Some(Presence::Out),
            _ => None,
        }
    }
    pub fn toggled(self) -> Presence {
        match self {
            Presence::In => Presence::Out,
            Presence::Out => Presence::In,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resident {
    pub id: String,
    pub name: String,
    pub room: String,
    pub floor: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub move_in: String,
    pub occupation: String,
    pub emergency_contact: String,
    pub photo: Option<String>,
    pub status: Presence,
    pub active: bool,
    pub key_id: String,
    pub created_at: String,
    pub created_by: String,
    pub last_scan_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ResidentRequest {
    pub name: String,
    pub room: String,
    pub floor: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub move_in: String,
    pub occupation: String,
    pub emergency_contact: String,
    pub photo: Option<String>,
}

/// Validated and normalised; same field names as the request.
pub type ValidResident = ResidentRequest;

pub fn validate(r: &ResidentRequest) -> Result<ValidResident, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let name = validate::name(&mut e, "name", &r.name);
    let room = validate::optional_text(&mut e, "room", &r.room, 16);
    if room.is_empty() {
        e.add("room", "is required");
    }
    let floor = validate::optional_text(&mut e, "floor", &r.floor, 16);
    let phone = validate::optional_phone(&mut e, "phone", &r.phone);
    let email = validate::optional_email(&mut e, "email", &r.email);
    let address = validate::multiline_text(&mut e, "address", &r.address, 200);
    let move_in = r.move_in.trim().to_string();
    if !move_in.is_empty() && chrono::NaiveDate::parse_from_str(&move_in, "%Y-%m-%d").is_err() {
        e.add("move_in", "must be a date like 2026-01-31");
    }
    let occupation = validate::optional_text(&mut e, "occupation", &r.occupation, 80);
    let emergency_contact = validate::optional_text(&mut e, "emergency_contact", &r.emergency_contact, 120);
    let photo = r.photo.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    if photo.as_deref().is_some_and(|p| super::text::first_hidden(p, false).is_some() || p.len() > 1024) {
        e.add("photo", "is not a usable file path");
    }
    e.into_result(ResidentRequest { name, room, floor, phone, email, address, move_in, occupation, emergency_contact, photo })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_and_formats() {
        let errs = validate(&ResidentRequest::default()).unwrap_err();
        assert_eq!(errs.get("name"), Some("is required"));
        assert_eq!(errs.get("room"), Some("is required"));
        let r = ResidentRequest {
            name: "Meera".into(),
            room: "B-204".into(),
            move_in: "2026-13-01".into(),
            email: "nope".into(),
            phone: "12".into(),
            ..Default::default()
        };
        let errs = validate(&r).unwrap_err();
        for f in ["move_in", "email", "phone"] {
            assert!(errs.get(f).is_some(), "{f}");
        }
    }
}
