// The Apache Kafka broker's jars, resolved once from Maven Central with the
// machine's Maven (scripts/infra/kafka/pom.xml) into .local/kafka-<version>/libs.
// Later runs find them there and never call Maven; ~/.m2 makes a re-resolve
// after `make clean` an offline copy.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "./file-lock.ts";
import { display, localRoot } from "./paths.ts";

const pomTemplate = path.join(import.meta.dirname, "..", "kafka", "pom.xml");
export const log4jConfig = path.join(import.meta.dirname, "..", "kafka", "log4j.properties");

const installHint =
  "install a JDK (17 or newer) and Maven, e.g. `apt-get install openjdk-17-jre-headless maven`, " +
  "or point meshmart at a broker you run yourself with KAFKA_BROKERS=host:port";

/** Classpath (a `libs/*` wildcard) holding the broker, its dependencies and a logging backend. */
export async function kafkaClasspath(version: string, log: (line: string) => void): Promise<string> {
  const dir = path.join(localRoot, `kafka-${version}`);
  const libs = path.join(dir, "libs");
  const stampFile = path.join(dir, "resolved.json");
  const pom = await readFile(pomTemplate);
  // Re-resolve when the pom changes, not only when the version does.
  const stamp = JSON.stringify({ version, pom: createHash("sha256").update(pom).digest("hex") });
  const isResolved = async () => (await readFile(stampFile, "utf8").catch(() => "")) === stamp;

  if (!(await isResolved())) {
    // Several processes may start brokers at once; one downloads, the others wait.
    await withFileLock(`${dir}.lock`, `Kafka ${version} to be resolved`, async () => {
      if (await isResolved()) return;
      await requireTool("mvn", ["-v"]);
      log(`resolving Apache Kafka ${version} from Maven Central (first run only)…`);
      const started = Date.now();
      await mkdir(dir, { recursive: true });
      // Resolve from a copy so that Maven writes nothing into the source tree.
      await copyFile(pomTemplate, path.join(dir, "pom.xml"));
      // Into a fresh folder swapped in at the end: a broker of another
      // profile may be running from the current libs.
      const fresh = `${libs}.new`;
      await rm(fresh, { recursive: true, force: true });
      await runMaven(log, dir, [
        "-B",
        "-f", path.join(dir, "pom.xml"),
        `-Dkafka.version=${version}`,
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        `-DoutputDirectory=${fresh}`,
      ]);
      await rm(`${libs}.old`, { recursive: true, force: true });
      await rename(libs, `${libs}.old`).catch(() => {});
      await rename(fresh, libs);
      await rm(`${libs}.old`, { recursive: true, force: true });
      const jars = (await readdir(libs)).filter((f) => f.endsWith(".jar"));
      await writeFile(stampFile, stamp);
      log(`resolved Kafka ${version}: ${jars.length} jars in ${display(libs)} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    }, 15 * 60_000);
  }
  return `${libs}${path.sep}*`;
}

/** Fails with what to install when `java` is missing or older than the broker of `version` supports (3.x: 11, 4.x: 17). */
export async function requireJava(version = "3"): Promise<void> {
  const { stderr } = await requireTool("java", ["-version"]);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
  const major = match ? Number(match[1] === "1" ? match[2] : match[1]) : NaN;
  const needed = Number(version.split(".")[0]) >= 4 ? 17 : 11;
  if (major < needed) {
    throw new Error(`Kafka ${version}'s broker needs Java ${needed} or newer (17 recommended), found: ${stderr.split("\n")[0]}; ${installHint}`);
  }
}

async function requireTool(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(command, args, { timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error(`the local Kafka broker needs \`${command}\`, which is not on PATH: ${installHint}`, { cause: err });
    throw new Error(`\`${command} ${args.join(" ")}\` failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Runs Maven with its output kept for the error message, not the terminal;
 * a download count every few seconds shows it is not stuck.
 */
function runMaven(log: (line: string) => void, cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("mvn", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let downloads = 0;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      downloads += text.match(/^Downloaded from /gm)?.length ?? 0;
      output = (output + text).slice(-20_000);
    };
    const progress = setInterval(() => log(`…still resolving Kafka (${downloads} files downloaded)`), 10_000);
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (err) => {
      clearInterval(progress);
      reject(err);
    });
    child.once("close", (code) => {
      clearInterval(progress);
      if (code === 0) return resolve();
      const lines = output.trimEnd().split("\n").filter((l) => !l.includes("Download")).slice(-25).join("\n");
      reject(new Error(`Maven could not resolve Kafka (exit code ${code}); is Maven Central reachable?\n${lines}`));
    });
  });
}
