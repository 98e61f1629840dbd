//! Checks shared by the fuzz targets and the regression tests.

pub mod checks;
