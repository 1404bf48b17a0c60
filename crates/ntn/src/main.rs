fn main() {
    std::process::exit(ntn::main_entry());
}
