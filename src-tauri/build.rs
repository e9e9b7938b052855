//! Tauri embeds the built web front end (`ui/dist`) at compile time: fail early and clearly
//! when it has not been built yet, instead of tauri's own panic deep inside its macros.

fn main() {
    let dist = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    if !dist.exists() {
        println!(
            "cargo:warning=ui/dist is missing: build the web front end first with \
             `npm --prefix ui ci && npm --prefix ui run build` (from the repository root)"
        );
        panic!(
            "gatehouse-app embeds ui/dist at compile time and ui/dist/index.html does not exist; \
             run `npm --prefix ui ci && npm --prefix ui run build` first"
        );
    }
    tauri_build::build()
}
