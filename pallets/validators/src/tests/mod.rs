pub(crate) mod mock;
mod selection_tests;
