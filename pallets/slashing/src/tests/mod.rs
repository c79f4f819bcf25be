mod apply_tests;
pub(crate) mod mock;
mod report_tests;
