//! A bare Tauri 2 window showing a blank page: no commands, no plugins, no state. The desktop
//! app's benchmark measures the real app against it (same build profile, same window size).

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("tollgate-bare-window: cannot start the window: {e}");
        std::process::exit(1);
    }
}
