//! The site's files: the browser bundle (`/pkg`: JS glue, WASM, CSS) and the
//! public files beside it (the icon). The release binary carries them
//! (build.rs, feature `embed-site`); `KEYHOUSE_SITE_ROOT` reads them from a
//! folder instead, for development. Either way they are read once, at start.
//!
//! The bundle is served under names that carry a hash of its contents
//! (`/pkg/keyhouse.<hash>.wasm`) and is cached for a year, `immutable`: a
//! returning browser asks for none of it until a new build changes the name.
//! Other files keep their names and are asked again each time (`no-cache`,
//! answered `304 Not Modified` through their `ETag`). Each file goes out as
//! the `.br` or `.gz` the build wrote beside it when the browser takes it.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// What build.rs put in the binary: (path under the site root, contents).
static EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/site_files.rs"));

/// The bundle's folder under the site root and in URLs.
pub const PKG_DIR: &str = "pkg";
/// The bundle's base name (cargo-leptos `output-name`).
const OUTPUT_NAME: &str = "keyhouse";

#[derive(Debug, thiserror::Error)]
#[error("cannot read the site files in {}: {reason}", .root.display())]
pub struct SiteError {
    root: PathBuf,
    reason: String,
}

/// One file as served: its bytes, the compressed forms the build made, and
/// how long a browser may keep it.
struct File {
    content_type: &'static str,
    identity: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    /// Hex of the SHA-256 of `identity`, cut to 16: the `ETag`'s core.
    tag: String,
    immutable: bool,
}

/// All files, by the URL path they are served at.
pub struct SiteFiles {
    by_path: HashMap<String, File>,
    output_name: String,
}

impl SiteFiles {
    /// The folder given (`KEYHOUSE_SITE_ROOT`), else what the binary carries,
    /// else `target/site` when it exists (a development build run from the
    /// workspace), else none.
    pub fn load(root: Option<&Path>) -> Result<SiteFiles, SiteError> {
        if let Some(root) = root {
            return read_folder(root).map(|files| Self::from_files(&files));
        }
        if !EMBEDDED.is_empty() {
            let files: Vec<_> = EMBEDDED
                .iter()
                .map(|(path, bytes)| ((*path).to_owned(), Bytes::from_static(bytes)))
                .collect();
            return Ok(Self::from_files(&files));
        }
        let development = Path::new("target/site");
        if development.is_dir() {
            return read_folder(development).map(|files| Self::from_files(&files));
        }
        tracing::warn!(
            "no site files: this binary carries none (built without the embed-site feature), \
             KEYHOUSE_SITE_ROOT is unset and there is no ./target/site; pages will load no \
             script or stylesheet"
        );
        Ok(Self::from_files(&[]))
    }

    /// `keyhouse.<hash>`: the name the page's scripts load the bundle by
    /// (Leptos' `output_name`), and the stylesheet's.
    pub fn output_name(&self) -> &str {
        &self.output_name
    }

    /// A route for each file (GET and HEAD).
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        let mut router = axum::Router::new();
        for path in self.by_path.keys() {
            // braces and stars would read as parameters: no file of ours has one
            if !path.contains(['{', '}', '*']) {
                router = router.route(path, axum::routing::get(serve));
            }
        }
        router.with_state(Arc::new(self))
    }

    /// Whether `path` (as in a URL) is one of the files.
    pub fn serves(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    fn from_files(files: &[(String, Bytes)]) -> SiteFiles {
        let contents: HashMap<&str, &Bytes> = files.iter().map(|(p, b)| (p.as_str(), b)).collect();
        // One hash for the whole bundle: the JS glue and its WASM must
        // match, and the stylesheet changes with them.
        let mut bundle = Sha256::new();
        for (path, bytes) in files {
            if bundle_file(path).is_some() && !is_compressed(path) {
                bundle.update(path.as_bytes());
                bundle.update(bytes);
            }
        }
        let bundle_hash = short_hex(&bundle.finalize());
        let mut by_path = HashMap::new();
        for (path, bytes) in files {
            if is_compressed(path) || path.ends_with(".d.ts") {
                continue;
            }
            let (url, immutable) = match bundle_file(path) {
                Some((stem, extension)) => {
                    (format!("/{PKG_DIR}/{stem}.{bundle_hash}.{extension}"), true)
                }
                None => (format!("/{path}"), false),
            };
            let file = File {
                content_type: content_type(path),
                identity: bytes.clone(),
                br: contents
                    .get(format!("{path}.br").as_str())
                    .map(|b| (*b).clone()),
                gzip: contents
                    .get(format!("{path}.gz").as_str())
                    .map(|b| (*b).clone()),
                tag: short_hex(&Sha256::digest(bytes)),
                immutable,
            };
            by_path.insert(url, file);
        }
        SiteFiles {
            by_path,
            output_name: format!("{OUTPUT_NAME}.{bundle_hash}"),
        }
    }
}

/// `pkg/NAME.EXT` (directly in the bundle's folder) as (NAME, EXT): these
/// are served under hashed names. Deeper files (wasm-bindgen snippets, which
/// the glue imports by relative path) keep theirs.
fn bundle_file(path: &str) -> Option<(&str, &str)> {
    let name = path.strip_prefix(PKG_DIR)?.strip_prefix('/')?;
    if name.contains('/') || is_compressed(name) {
        return None;
    }
    name.rsplit_once('.')
}

fn is_compressed(path: &str) -> bool {
    path.ends_with(".br") || path.ends_with(".gz")
}

fn short_hex(digest: &[u8]) -> String {
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("wasm") => "application/wasm",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn read_folder(root: &Path) -> Result<Vec<(String, Bytes)>, SiteError> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, Bytes)>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, files)?;
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let relative: Vec<_> = relative.iter().map(|part| part.to_string_lossy()).collect();
            files.push((relative.join("/"), Bytes::from(std::fs::read(&path)?)));
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(root, root, &mut files).map_err(|err| SiteError {
        root: root.to_owned(),
        reason: err.to_string(),
    })?;
    Ok(files)
}

/// The encodings a request's `Accept-Encoding` allows, as (br, gzip): a
/// coding is taken when named, or covered by `*`, with a weight above 0.
fn accepted(headers: &HeaderMap) -> (bool, bool) {
    let (mut br, mut gzip, mut any) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let allowed = Some(weight > 0.0);
            match coding.as_str() {
                "br" => br = allowed,
                "gzip" | "x-gzip" => gzip = allowed,
                "*" => any = allowed,
                _ => {}
            }
        }
    }
    let any = any.unwrap_or(false);
    (br.unwrap_or(any), gzip.unwrap_or(any))
}

async fn serve(State(files): State<Arc<SiteFiles>>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(file) = files.by_path.get(uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (take_br, take_gzip) = accepted(&headers);
    let (body, coding) = match (&file.br, &file.gzip) {
        (Some(br), _) if take_br => (br.clone(), Some("br")),
        (_, Some(gzip)) if take_gzip => (gzip.clone(), Some("gzip")),
        _ => (file.identity.clone(), None),
    };
    let etag = match coding {
        Some(coding) => format!("\"{}-{coding}\"", file.tag),
        None => format!("\"{}\"", file.tag),
    };
    let cache = if file.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Body::from(body).into_response();
        let response_headers = response.headers_mut();
        response_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        if let Some(coding) = coding {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if file.br.is_some() || file.gzip.is_some() {
        response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, etag);
    }
    response
}

/// `If-None-Match` names this representation (or is `*`).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("a header value"),
        );
        headers
    }

    #[test]
    fn accept_encoding_weights_and_wildcards() {
        assert_eq!(accepted(&HeaderMap::new()), (false, false));
        assert_eq!(accepted(&headers("gzip, deflate, br, zstd")), (true, true));
        assert_eq!(accepted(&headers("gzip")), (false, true));
        assert_eq!(accepted(&headers("br;q=0, gzip;q=0.5")), (false, true));
        assert_eq!(accepted(&headers("*")), (true, true));
        assert_eq!(accepted(&headers("*;q=0.1, gzip;q=0")), (true, false));
        assert_eq!(accepted(&headers("identity")), (false, false));
    }

    #[test]
    fn bundle_files_are_named_by_their_contents() {
        let site = |wasm: &'static [u8]| {
            SiteFiles::from_files(&[
                ("pkg/keyhouse.js".into(), Bytes::from_static(b"glue")),
                ("pkg/keyhouse.wasm".into(), Bytes::from_static(wasm)),
                ("pkg/keyhouse.wasm.br".into(), Bytes::from_static(b"br")),
                ("pkg/keyhouse.d.ts".into(), Bytes::from_static(b"types")),
                ("pkg/snippets/x/inline0.js".into(), Bytes::from_static(b"s")),
                ("favicon.svg".into(), Bytes::from_static(b"<svg/>")),
            ])
        };
        let one = site(b"\0asm one");
        let name = one.output_name().to_owned();
        assert!(name.starts_with("keyhouse.") && name.len() == "keyhouse.".len() + 16);
        for path in [".js", ".wasm"].map(|ext| format!("/pkg/{name}{ext}")) {
            assert!(one.serves(&path), "{path}");
        }
        assert!(one.serves("/pkg/snippets/x/inline0.js"));
        assert!(one.serves("/favicon.svg"));
        for path in [
            "/pkg/keyhouse.wasm",
            "/pkg/keyhouse.d.ts",
            "/pkg/keyhouse.wasm.br",
        ] {
            assert!(!one.serves(path), "{path}");
        }
        assert_ne!(site(b"\0asm two").output_name(), name);
        assert_eq!(site(b"\0asm one").output_name(), name);
    }
}
