//! Case files: the model ([`model`]) and reading them with locations ([`load`],
//! [`locate`]) within the input limits ([`limits`]).

pub mod limits;
pub mod load;
pub mod locate;
pub mod model;

pub use load::{Diagnostic, Diagnostics, SpecFile, load_dir};
pub use locate::{Location, Seg};
