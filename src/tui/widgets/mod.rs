//! Small widgets shared by the screens.

pub mod bigtext;
pub mod halfblock;
pub mod layout;
pub mod text;
