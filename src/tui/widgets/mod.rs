//! Small widgets shared by the screens.

pub mod bigtext;
pub mod gates;
pub mod halfblock;
pub mod layout;
pub mod text;
