// Makes the services' JSON log lines readable in a terminal:
//   12:01:02 catalog  INFO  serving port=8081
const colors = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[91m", "\x1b[96m"];
const reset = "\x1b[0m";
const levelColor: Record<string, string> = { error: "\x1b[31m", fatal: "\x1b[31m", warn: "\x1b[33m", info: "", debug: "\x1b[90m" };
const hidden = new Set(["level", "time", "service", "msg", "app", "pid", "hostname"]);

export function colorFor(index: number): string {
  return colors[index % colors.length]!;
}

export function formatLogLine(name: string, color: string, line: string, useColor: boolean): string {
  const paint = (code: string, text: string) => (useColor && code ? `${code}${text}${reset}` : text);
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${paint(color, name.padEnd(13))} ${line}`;
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 19) : "";
  const level = typeof entry.level === "string" ? entry.level : "info";
  const extras = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${time} ${paint(color, name.padEnd(13))} ${paint(levelColor[level] ?? "", level.toUpperCase().padEnd(5))} ${typeof entry.msg === "string" ? entry.msg : ""} ${paint("\x1b[90m", extras)}`;
}
