//! Case files: the model ([`model`]) and reading them with locations ([`load`],
//! [`locate`]).

pub mod load;
pub mod locate;
pub mod model;

pub use load::{Diagnostic, Diagnostics, SpecFile, load_dir};
pub use locate::{Location, Seg};
