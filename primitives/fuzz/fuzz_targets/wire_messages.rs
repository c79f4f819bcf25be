#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
	keymarket_primitives::fuzzing::wire_messages(data);
});
