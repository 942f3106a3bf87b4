// kubeconfig files: one per component (its client certificate is its
// identity), and the admin context merged into the user's kubeconfig the way
// kind does it, so that `kubectl --context meshmart-local` works from any
// shell; cluster-down removes exactly that context again.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";

export interface KubeconfigProps {
  readonly name: string;
  readonly server: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface Kubeconfig {
  apiVersion: "v1";
  kind: "Config";
  clusters: Named<Record<string, unknown>>[];
  users: Named<Record<string, unknown>>[];
  contexts: Named<Record<string, unknown>>[];
  "current-context"?: string;
  preferences?: Record<string, unknown>;
}

const b64 = (file: string) => readFileSync(file).toString("base64");

/** A self-contained kubeconfig (certificates embedded) with one context of `name`. */
export function kubeconfig(props: KubeconfigProps): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: props.name, cluster: { server: props.server, "certificate-authority-data": b64(props.caCert) } }],
    users: [{ name: props.name, user: { "client-certificate-data": b64(props.clientCert), "client-key-data": b64(props.clientKey) } }],
    contexts: [{ name: props.name, context: { cluster: props.name, user: props.name } }],
    "current-context": props.name,
  };
}

export async function writeKubeconfig(file: string, config: Kubeconfig): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}

/** The kubeconfig kubectl uses by default: the first file of $KUBECONFIG, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((p) => p.trim() !== "");
  return first ?? path.join(os.homedir(), ".kube", "config");
}

async function readUserKubeconfig(file: string): Promise<Kubeconfig> {
  if (!existsSync(file)) return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [], preferences: {} };
  const parsed = (parse(await readFile(file, "utf8")) ?? {}) as Partial<Kubeconfig>;
  return { ...parsed, apiVersion: "v1", kind: "Config", clusters: parsed.clusters ?? [], users: parsed.users ?? [], contexts: parsed.contexts ?? [] };
}

async function writeAtomically(file: string, config: Kubeconfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.meshmart-${process.pid}`;
  await writeFile(tmp, stringify(config), { mode: 0o600 });
  await rename(tmp, file);
}

/** Adds (or replaces) the cluster, user and context `config` holds in the user's kubeconfig; does not change the current context. */
export async function mergeIntoUserKubeconfig(config: Kubeconfig, file = userKubeconfigPath()): Promise<string> {
  const existing = await readUserKubeconfig(file);
  const replace = <T extends { name: string }>(list: T[], items: T[]) => [...list.filter((x) => !items.some((i) => i.name === x.name)), ...items];
  existing.clusters = replace(existing.clusters, config.clusters);
  existing.users = replace(existing.users, config.users);
  existing.contexts = replace(existing.contexts, config.contexts);
  existing["current-context"] ??= config["current-context"];
  await writeAtomically(file, existing);
  return file;
}

/** True when the file holds no cluster, user or context (or does not exist). */
export async function isEmptyKubeconfig(file: string): Promise<boolean> {
  if (!existsSync(file)) return true;
  const config = await readUserKubeconfig(file);
  return config.clusters.length + config.users.length + config.contexts.length === 0;
}

/** Removes the cluster, user and context named `name` from the user's kubeconfig (nothing else). */
export async function removeFromUserKubeconfig(name: string, file = userKubeconfigPath()): Promise<boolean> {
  if (!existsSync(file)) return false;
  const existing = await readUserKubeconfig(file);
  const before = existing.clusters.length + existing.users.length + existing.contexts.length;
  existing.clusters = existing.clusters.filter((c) => c.name !== name);
  existing.users = existing.users.filter((u) => u.name !== name);
  existing.contexts = existing.contexts.filter((c) => c.name !== name);
  if (existing["current-context"] === name) delete existing["current-context"];
  const after = existing.clusters.length + existing.users.length + existing.contexts.length;
  if (before === after) return false;
  await writeAtomically(file, existing);
  return true;
}
