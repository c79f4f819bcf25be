//! Builds the runtime's wasm blob for `wasm32v1-none` and embeds it in the native crate.

fn main() {
	#[cfg(feature = "std")]
	{
		let mut builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
		// The blob names this workspace's source files in its panic messages, by absolute path
		// (the wasm project builds the runtime as a path dependency). Named from the workspace's
		// root instead, the same sources build the same blob wherever the clone is: a CI clone's
		// build then finds the runtime unchanged and the crates built on it reusable
		// (docs/build.md). The flags are joined with spaces: a root with one is left as it is.
		let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
		let root = std::path::Path::new(&manifest).parent().expect("the runtime's workspace");
		let root = root.display().to_string();
		if !root.contains(char::is_whitespace) {
			builder = builder.append_to_rust_flags(format!("--remap-path-prefix={root}=keymarket"));
		}
		builder.build();
	}
}
