// Kills the process groups of the nodes a test process started once that test process is gone,
// however it went (even SIGKILL, when its own exit handlers cannot run). The test process
// writes "+PID" / "-PID" lines (process groups) and "D<dir>" / "d<dir>" lines (temp dirs to
// remove, unless CHRYSALIS_IT_KEEP=1) to our stdin; end of stdin means it died.
import fs from "node:fs";

let buffer = "";
const groups = new Set();
const dirs = new Set();

function killAll() {
    for (const pid of groups) {
        try {
            process.kill(-pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    if (process.env.CHRYSALIS_IT_KEEP !== "1") {
        for (const dir of dirs) {
            try {
                fs.rmSync(dir, {recursive: true, force: true});
            } catch {
                // best effort
            }
        }
    }
    process.exit(0);
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (data) => {
    buffer += data;
    let at;
    while ((at = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, at).trim();
        buffer = buffer.slice(at + 1);
        if (line[0] === "D" || line[0] === "d") {
            if (line[0] === "D") dirs.add(line.slice(1));
            else dirs.delete(line.slice(1));
            continue;
        }
        const pid = Number(line.slice(1));
        if (!Number.isInteger(pid) || pid <= 1) continue;
        if (line[0] === "+") groups.add(pid);
        else if (line[0] === "-") groups.delete(pid);
    }
});
process.stdin.on("end", killAll);
process.stdin.on("error", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
