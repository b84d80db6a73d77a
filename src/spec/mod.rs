//! Case files: the model ([`model`]) and reading them with locations ([`load`],
//! [`locate`]) within the input limits ([`limits`]), from a directory or the suite built
//! into the binary ([`source`]).

pub mod limits;
pub mod load;
pub mod locate;
pub mod model;
pub mod source;

pub use load::{Diagnostic, Diagnostics, LoadError, SpecFile, load_specs};
pub use locate::{Location, Seg};
pub use source::{Kind, Source, SourceError};
