// Configuration from environment variables, validated once at start-up. A bad
// value stops the process with one line that names the variable, what it must
// be, and what it was.
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`config: ${variable} ${message}`);
    this.name = "ConfigError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads one variable: `parse` turns the raw text into a value or throws a reason. */
export interface Setting<T> {
  read(env: Env, name: string): T;
}

export function setting<T>(parse: (raw: string) => T, fallback?: T | (() => T)): Setting<T> {
  return {
    read(env, name) {
      const raw = env[name];
      if (raw === undefined || raw === "") {
        if (fallback === undefined) throw new ConfigError(name, "is required but not set");
        return typeof fallback === "function" ? (fallback as () => T)() : fallback;
      }
      try {
        return parse(raw);
      } catch (err) {
        throw new ConfigError(name, `${(err as Error).message} (got "${raw}")`);
      }
    },
  };
}

export const str = (fallback?: string) => setting((raw) => raw, fallback);

export const int = (opts: { default?: number; min?: number; max?: number } = {}) =>
  setting((raw) => {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be an integer between ${min} and ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be an integer between ${min} and ${max}`);
    return value;
  }, opts.default);

export const bool = (fallback?: boolean) =>
  setting((raw) => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error("must be true or false");
  }, fallback);

export const port = (fallback?: number) => int({ default: fallback, min: 0, max: 65535 });

export const fraction = (fallback?: number) =>
  setting((raw) => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error("must be a number between 0 and 1");
    }
    return value;
  }, fallback);

export const oneOf = <T extends string>(values: readonly T[], fallback?: T) =>
  setting((raw) => {
    if (!values.includes(raw as T)) throw new Error(`must be one of ${values.join(", ")}`);
    return raw as T;
  }, fallback);

export const list = (fallback?: string[]) =>
  setting(
    (raw) =>
      raw
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    fallback,
  );

export type ConfigSpec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Reads every variable of `spec` from `env`; throws ConfigError on the first bad one. */
export function loadConfig<S extends ConfigSpec>(spec: S, env: Env = process.env): ConfigOf<S> {
  const config = {} as Record<string, unknown>;
  for (const [name, entry] of Object.entries(spec)) config[name] = entry.read(env, name);
  return config as ConfigOf<S>;
}
