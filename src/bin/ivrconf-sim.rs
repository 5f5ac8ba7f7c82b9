//! `ivrconf-sim`: the bundled IVR Server simulator as a program. All the
//! work (flags, help, traffic printing) is in `ivrconf::sim::cli`.

fn main() {
    std::process::exit(ivrconf::sim::cli::main(std::env::args().skip(1).collect()));
}
