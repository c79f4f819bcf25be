mod api_tests;
mod clock_tests;
mod commitments_tests;
pub(crate) mod mock;
mod rewards_tests;
mod stakes_tests;
mod terms_tests;
mod workers_tests;
