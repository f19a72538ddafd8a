fn main() {
    std::process::exit(tollgate_cli::run());
}
mod tollgate_cli {
    pub fn run() -> i32 {
        0
    }
}
