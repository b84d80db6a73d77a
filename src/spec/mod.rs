//! Case files: the model ([`model`]), reading them with locations ([`load`], [`locate`]),
//! and the operation × status coverage matrix ([`coverage`]).

pub mod coverage;
pub mod load;
pub mod locate;
pub mod model;

pub use load::{Diagnostic, Diagnostics, SpecFile, load_dir};
pub use locate::{Location, Seg};
