pub(crate) mod mock;
mod stakes_tests;
mod workers_tests;
