//! Context switches of the client side's threads, from /proc/self/task:
//! how often the engine (or the floor's client) hands work from one thread
//! to another and sleeps, the main cost of a loopback round trip. The main
//! thread (which makes the API calls) counts as client side too.

/// Voluntary plus involuntary switches so far of the main thread and of
/// the threads whose name starts with one of `prefixes`.
pub fn client_switches(prefixes: &[&str]) -> u64 {
    let pid = std::process::id().to_string();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    let mut total = 0;
    for task in tasks.flatten() {
        let dir = task.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let main = task.file_name().to_string_lossy() == pid;
        if !main && !prefixes.iter().any(|p| comm.trim_end().starts_with(p)) {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        total += status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
            .sum::<u64>();
    }
    total
}
