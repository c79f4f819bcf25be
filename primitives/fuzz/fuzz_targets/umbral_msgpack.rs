#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
	keymarket_primitives::fuzzing::umbral_msgpack(data);
});
