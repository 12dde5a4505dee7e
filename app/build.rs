//! Compiles the `.slint` UI. Debug info is kept so the headless UI tests can find elements by
//! their accessibility labels (`i-slint-backend-testing`).

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI must compile");
}
