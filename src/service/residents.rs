//! Registering and deactivating residents.

use serde::Serialize;
use uuid::Uuid;

use super::{Gatehouse, require_admin};
use crate::domain::events::{Event, ResidentAdd, ResidentDeactivate};
use crate::domain::payload::Kind;
use crate::domain::resident::{self, Resident, ResidentRequest};
use crate::domain::user::Actor;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct ResidentView {
    #[serde(flatten)]
    pub resident: Resident,
    pub payload: String,
}

impl Gatehouse {
    pub fn resident_payload(&self, r: &Resident) -> String {
        let id = Uuid::parse_str(&r.id).unwrap_or_default();
        self.code_text(&r.key_id, Kind::Resident, &id)
    }

    pub fn resident_view(&self, r: Resident) -> ResidentView {
        ResidentView { payload: self.resident_payload(&r), resident: r }
    }

    pub fn add_resident(&mut self, actor: &Actor, req: &ResidentRequest) -> Result<Resident> {
        require_admin(actor, "register residents")?;
        let v = resident::validate(req)?;
        if let Some(p) = &v.photo
            && !std::path::Path::new(p).is_file()
        {
            let mut e = crate::domain::validate::ValidationErrors::default();
            e.add("photo", format!("no such file: {p}"));
            return Err(e.into());
        }
        let id = Uuid::new_v4().to_string();
        let (key_id, code_key) = self.code_key_for(actor)?;
        let by = actor.username.clone();
        let keys = self.keys.clone();
        let (r, _) = self.record(&actor.username, |db, at| {
            db.insert_resident(&id, &v, &key_id, at, &by)?;
            let r = db.get_resident(&id)?.ok_or_else(|| Error::Corrupt("resident vanished after insert".into()))?;
            // Contact details only as a keyed fingerprint: the ledger is exported.
            let details = crate::domain::audit::resident_details(&keys, &key_id, &r);
            let added = ResidentAdd {
                id: id.as_str().into(),
                name: v.name.as_str().into(),
                room: v.room.as_str().into(),
                floor: v.floor.as_str().into(),
                details: details.map(Into::into),
                code_key: code_key.as_deref().map(Into::into),
            };
            Ok((r, Event::ResidentAdd(added)))
        })?;
        Ok(r)
    }

    pub fn get_resident(&mut self, id_or_prefix: &str) -> Result<Resident> {
        self.store.read(|db| {
            let id = db.resolve_resident_id(id_or_prefix)?;
            db.get_resident(&id)?.ok_or(Error::NotFound { what: "resident", id })
        })
    }

    pub fn list_residents(&mut self, search: Option<&str>, include_inactive: bool) -> Result<Vec<Resident>> {
        self.store.read(|db| db.list_residents(search, include_inactive))
    }

    pub fn deactivate_resident(&mut self, actor: &Actor, id_or_prefix: &str, reason: &str) -> Result<Resident> {
        require_admin(actor, "deactivate residents")?;
        let reason = super::passes::required_reason(reason)?;
        let by = actor.username.clone();
        let (r, _) = self.record(&actor.username, |db, at| {
            let id = db.resolve_resident_id(id_or_prefix)?;
            let r = db.get_resident(&id)?.ok_or_else(|| Error::NotFound { what: "resident", id: id.clone() })?;
            if !r.active {
                return Err(Error::Conflict(format!("resident {id} is already inactive")));
            }
            db.deactivate_resident(&id, at, &by)?;
            let r = db.get_resident(&id)?.ok_or_else(|| Error::NotFound { what: "resident", id: id.clone() })?;
            Ok((r, Event::ResidentDeactivate(ResidentDeactivate { id: id.into(), reason: reason.as_str().into() })))
        })?;
        Ok(r)
    }
}
