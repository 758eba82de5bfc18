//! With the `embed-site` feature (the release build turns it on), the built
//! site — the WASM bundle, its JS and CSS with their `.br` and `.gz`, the
//! icon — goes into the binary, so `keyhouse` runs from any folder with
//! nothing beside it. Without the feature the list is empty and the server
//! reads the files from a folder (`KEYHOUSE_SITE_ROOT`, `target/site`).
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-env-changed=KEYHOUSE_EMBED_SITE_DIR");
    println!("cargo:rerun-if-env-changed=LEPTOS_OUTPUT_NAME");
    // .cargo/config.toml sets it for any cargo run from the workspace; without
    // it Leptos names the WASM `<name>_bg.wasm`, a file the server lacks.
    if env::var("LEPTOS_OUTPUT_NAME").as_deref() != Ok("keyhouse") {
        println!(
            "cargo:warning=LEPTOS_OUTPUT_NAME is not `keyhouse` (build from the workspace, which \
             sets it in .cargo/config.toml): pages will name a WASM file the server does not have"
        );
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("site_files.rs");
    if env::var_os("CARGO_FEATURE_EMBED_SITE").is_none() {
        fs::write(&out, "&[]\n").expect("write site_files.rs");
        return;
    }
    let root = env::var_os("KEYHOUSE_EMBED_SITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
                .join("../target/site")
        });
    // A folder here means: again when anything in it changes.
    println!("cargo:rerun-if-changed={}", root.display());
    let root = root.canonicalize().unwrap_or_else(|err| {
        panic!(
            "embed-site: no built site at {} ({err}): build the browser half first \
             (cargo leptos build --release --frontend-only)",
            root.display()
        )
    });
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    if !files.iter().any(|(path, _)| path.ends_with(".wasm")) {
        panic!(
            "embed-site: no .wasm in {}: build the browser half first",
            root.display()
        );
    }
    let mut code = String::from("&[\n");
    for (path, file) in files {
        code.push_str(&format!("    ({path:?}, include_bytes!({file:?})),\n"));
    }
    code.push_str("]\n");
    fs::write(&out, code).expect("write site_files.rs");
}

/// Every file under `dir` as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).expect("read the site folder") {
        let path = entry.expect("read the site folder").path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        // TypeScript declarations wasm-bindgen writes: never served.
        if path.to_string_lossy().ends_with(".d.ts") {
            continue;
        }
        let relative = path.strip_prefix(root).expect("under the root");
        let relative: Vec<_> = relative.iter().map(|part| part.to_string_lossy()).collect();
        files.push((relative.join("/"), path.to_string_lossy().into_owned()));
    }
}
