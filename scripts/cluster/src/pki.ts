// The cluster's certificates, made with the openssl CLI: one CA, a serving
// certificate for the API server and the kubelet, a client certificate per
// component (its name and groups are its identity for RBAC), and the key pair
// that signs service-account tokens. ECDSA P-256 throughout; generated once
// per cluster state directory and kept, so that kubeconfigs stay valid across
// restarts.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const days = "3650";

export interface CertificateRequest {
  /** File stem: <name>.crt and <name>.key. */
  readonly name: string;
  readonly commonName: string;
  readonly organizations?: readonly string[];
  /** Subject alternative names for serving certificates: "IP:1.2.3.4", "DNS:name". */
  readonly altNames?: readonly string[];
  readonly usage: "client" | "server" | "both";
}

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  cert(name: string): { cert: string; key: string };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync("openssl", args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}

async function ecKey(file: string, cwd: string): Promise<void> {
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file], cwd);
}

/** Creates what is missing in `dir` and returns the paths. */
export async function ensurePki(dir: string, requests: readonly CertificateRequest[]): Promise<Pki> {
  await mkdir(path.dirname(dir), { recursive: true }); // parents keep the default mode; only dir is private
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const at = (file: string) => path.join(dir, file);
  if (!existsSync(at("ca.crt"))) {
    await ecKey("ca.key", dir);
    await openssl(["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=meshmart-local-ca", "-days", days, "-out", "ca.crt",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], dir);
  }
  if (!existsSync(at("service-account.key"))) {
    await ecKey("service-account.key", dir);
    await openssl(["pkey", "-in", "service-account.key", "-pubout", "-out", "service-account.pub"], dir);
  }
  for (const request of requests) {
    if (existsSync(at(`${request.name}.crt`))) continue;
    await ecKey(`${request.name}.key`, dir);
    const subject = `/CN=${request.commonName}${(request.organizations ?? []).map((o) => `/O=${o}`).join("")}`;
    await openssl(["req", "-new", "-key", `${request.name}.key`, "-subj", subject, "-out", `${request.name}.csr`], dir);
    const extendedUsage = { client: "clientAuth", server: "serverAuth", both: "serverAuth,clientAuth" }[request.usage];
    const extensions = [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${extendedUsage}`,
      ...(request.altNames && request.altNames.length > 0 ? [`subjectAltName=${request.altNames.join(",")}`] : []),
    ];
    await writeFile(at(`${request.name}.ext`), extensions.join("\n") + "\n");
    await openssl(["x509", "-req", "-in", `${request.name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-days", days, "-extfile", `${request.name}.ext`, "-out", `${request.name}.crt`], dir);
  }
  return {
    dir,
    caCert: at("ca.crt"),
    caKey: at("ca.key"),
    serviceAccountKey: at("service-account.key"),
    serviceAccountPublicKey: at("service-account.pub"),
    cert: (name) => ({ cert: at(`${name}.crt`), key: at(`${name}.key`) }),
  };
}
