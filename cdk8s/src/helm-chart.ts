// The Helm chart charts/meshmart, generated from the same synth as
// cdk8s/dist. The platform is synthesized with sentinel values wherever the
// chart exposes a value (namespace, image repository and tag, the ingress
// gateway's namespace, managed-by, the token issuer's public keys, external
// PostgreSQL and Kafka addresses), once for each of the four deployment
// variants (PostgreSQL and Kafka each in the cluster or external); each
// object becomes one template with the sentinels replaced by template
// expressions, guarded by the variants it appears in. Rendering the chart
// therefore yields exactly the objects of the matching synth (the tests check
// this with `helm template`, and without helm by rendering the few
// expressions the generator writes).
//
// The one part that is not from the synth is templates/secrets.yaml: the
// database passwords, generated at install time (kept on upgrade), because a
// chart must never ship a password.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Document, parseAllDocuments, stringify, visit } from "yaml";
import { databaseClients } from "@meshmart/mesh/authorization-policy";
import { databasePasswordKey, databaseSecretName } from "./meshmart-chart.ts";
import { defaultPlatformSettings, type PlatformSettings } from "./platform-settings.ts";
import { postgresCredentialsSecret } from "./postgres.ts";
import { repoRoot } from "./repo-root.ts";
import { synthesize, type Manifest } from "./synth.ts";

export { repoRoot };
export const chartDir = join(repoRoot, "charts", "meshmart");

export const chartVersion = "0.2.0";

export interface ExternalValues {
  enabled: boolean;
  /** PostgreSQL: the server's host. */
  host?: string;
  /** Kafka: comma-separated host:port bootstrap list. */
  brokers?: string;
  port: number;
  /** Where the NetworkPolicies let the services connect to. */
  cidr: string;
}

export interface ChartValues {
  namespace: string;
  createNamespace: boolean;
  /** Seed the catalog's demo products and their stock. */
  demoData: boolean;
  image: { repository: string; tag: string };
  istio: { ingressNamespace: string };
  jwt: { jwks: string };
  postgres: { external: ExternalValues };
  kafka: { external: ExternalValues };
  /** The monitoring objects; off for a cluster without the Prometheus Operator's CRDs or Grafana's dashboard sidecar. */
  observability: {
    /** The PrometheusRule of SLO recording and alerting rules (needs the monitoring.coreos.com CRDs). */
    prometheusRules: boolean;
    /** The ConfigMaps labelled grafana_dashboard that Grafana's sidecar imports. */
    grafanaDashboards: boolean;
  };
}

export const defaultChartValues: ChartValues = {
  namespace: defaultPlatformSettings.namespace,
  createNamespace: true,
  demoData: true,
  image: { repository: defaultPlatformSettings.imageRepository, tag: defaultPlatformSettings.imageTag },
  istio: { ingressNamespace: defaultPlatformSettings.ingress.namespace },
  jwt: { jwks: "" },
  postgres: { external: { enabled: false, host: "", port: 5432, cidr: "0.0.0.0/0" } },
  kafka: { external: { enabled: false, brokers: "", port: 9092, cidr: "0.0.0.0/0" } },
  observability: { prometheusRules: true, grafanaDashboards: true },
};

interface Placeholder {
  readonly sentinel: string;
  readonly expression: string;
  readonly value: (v: ChartValues) => string;
  /** Replace the quoted YAML scalar, quotes included, with an expression that renders its own JSON string. */
  readonly replacesQuotedScalar?: boolean;
}

const requiredJwks =
  '{{ required "jwt.jwks is required: the token issuer\'s public keys as a JSON Web Key Set (see the chart README)" .Values.jwt.jwks | toJson }}';

/** Sentinel (valid as a DNS label and label value) -> the template expression that replaces it. */
export const placeholders: readonly Placeholder[] = [
  { sentinel: "mmns0sentinel", expression: "{{ .Values.namespace }}", value: (v) => v.namespace },
  { sentinel: "mmrepo0sentinel", expression: "{{ .Values.image.repository }}", value: (v) => v.image.repository },
  { sentinel: "mmtag0sentinel", expression: "{{ .Values.image.tag }}", value: (v) => v.image.tag },
  { sentinel: "mmingress0sentinel", expression: "{{ .Values.istio.ingressNamespace }}", value: (v) => v.istio.ingressNamespace },
  { sentinel: "mmmanagedby0sentinel", expression: "{{ .Release.Service }}", value: () => "Helm" },
  { sentinel: "mmdemo0sentinel", expression: "{{ .Values.demoData }}", value: (v) => String(v.demoData) },
  { sentinel: "mmjwks0sentinel", expression: requiredJwks, value: (v) => JSON.stringify(v.jwt.jwks), replacesQuotedScalar: true },
  { sentinel: "mmpghost0sentinel", expression: "{{ .Values.postgres.external.host }}", value: (v) => v.postgres.external.host ?? "" },
  { sentinel: "mmpgcidr0sentinel", expression: "{{ .Values.postgres.external.cidr }}", value: (v) => v.postgres.external.cidr },
  { sentinel: "54329", expression: "{{ .Values.postgres.external.port }}", value: (v) => String(v.postgres.external.port) },
  {
    sentinel: "mmkafkabrokers0sentinel:59092",
    expression: "{{ .Values.kafka.external.brokers }}",
    value: (v) => v.kafka.external.brokers ?? "",
  },
  { sentinel: "mmkafkacidr0sentinel", expression: "{{ .Values.kafka.external.cidr }}", value: (v) => v.kafka.external.cidr },
  { sentinel: "59092", expression: "{{ .Values.kafka.external.port }}", value: (v) => String(v.kafka.external.port) },
];

/** The four ways PostgreSQL and Kafka can be placed, named as the chart's `meshmart.variant` helper prints them. */
export const variants = ["pg-in-cluster/kafka-in-cluster", "pg-in-cluster/kafka-external", "pg-external/kafka-in-cluster", "pg-external/kafka-external"] as const;
export type Variant = (typeof variants)[number];

export function variantOf(values: ChartValues): Variant {
  return `${values.postgres.external.enabled ? "pg-external" : "pg-in-cluster"}/${values.kafka.external.enabled ? "kafka-external" : "kafka-in-cluster"}`;
}

const helpers = `{{/* Generated by \`make chart\`. Which of the four placements of PostgreSQL and Kafka the values ask for. */}}
{{- define "meshmart.variant" -}}
{{ if .Values.postgres.external.enabled }}pg-external{{ else }}pg-in-cluster{{ end }}/{{ if .Values.kafka.external.enabled }}kafka-external{{ else }}kafka-in-cluster{{ end }}
{{- end -}}
`;

const guardClose = "{{- end }}";

/** Objects that a value can leave out: each such template is wrapped in its `if`. */
interface ObjectGuard {
  readonly open: string;
  readonly guards: (manifest: Manifest) => boolean;
  readonly enabled: (values: ChartValues) => boolean;
}

const objectGuards: readonly ObjectGuard[] = [
  { open: "{{- if .Values.createNamespace }}", guards: (m) => m.kind === "Namespace", enabled: (v) => v.createNamespace },
  { open: "{{- if .Values.observability.prometheusRules }}", guards: (m) => m.kind === "PrometheusRule", enabled: (v) => v.observability.prometheusRules },
  {
    open: "{{- if .Values.observability.grafanaDashboards }}",
    guards: (m) => m.kind === "ConfigMap" && m.metadata.labels?.["grafana_dashboard"] !== undefined,
    enabled: (v) => v.observability.grafanaDashboards,
  },
];
const variantLine = '{{- $variant := include "meshmart.variant" . }}';
const variantCondition = (list: readonly Variant[]) => `has $variant (list ${list.map((v) => `"${v}"`).join(" ")})`;

/** The settings the chart is synthesized with for one variant: defaults, with sentinels where values go. */
export function sentinelSettings(variant: Variant = variants[0]): PlatformSettings {
  const s = (name: string): string => placeholders.find((p) => p.sentinel.startsWith(name))!.sentinel;
  const [pg, kafka] = variant.split("/");
  return {
    ...defaultPlatformSettings,
    namespace: s("mmns0"),
    imageRepository: s("mmrepo0"),
    imageTag: s("mmtag0"),
    ingress: { ...defaultPlatformSettings.ingress, namespace: s("mmingress0") },
    managedBy: s("mmmanagedby0"),
    demoData: s("mmdemo0") as unknown as boolean,
    jwt: { ...defaultPlatformSettings.jwt, jwks: s("mmjwks0") },
    postgres: { ...defaultPlatformSettings.postgres, ...(pg === "pg-external" ? { external: { host: s("mmpghost0"), port: 54329, cidr: s("mmpgcidr0") } } : {}) },
    kafka: { ...defaultPlatformSettings.kafka, ...(kafka === "kafka-external" ? { external: { brokers: [s("mmkafkabrokers0")], cidr: s("mmkafkacidr0") } } : {}) },
  };
}

function kebab(kind: string): string {
  return kind.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

export function templateFileName(manifest: Manifest): string {
  if (manifest.kind === "Namespace") return "namespace.yaml";
  const ns = manifest.metadata.namespace;
  const qualifier = ns !== undefined && ns !== "mmns0sentinel" ? `${ns.replace("mmingress0sentinel", "ingress")}-` : "";
  return `${kebab(manifest.kind)}-${qualifier}${manifest.metadata.name}.yaml`;
}

function templateText(manifest: Manifest): string {
  const doc = new Document(manifest);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && placeholders.some((p) => (node.value as string).includes(p.sentinel))) {
        node.type = "QUOTE_DOUBLE";
      }
    },
  });
  // "{{" in the synth's own text (PromQL legends, alert templates) is Helm's to print, not to evaluate.
  let text = doc.toString({ lineWidth: 0 }).replaceAll("{{", literalOpen);
  // The synth hashes its own config into checksum/config; in the chart the hash is of the
  // rendered ConfigMap, so that new values roll the pods just as a new synth does.
  if (manifest.kind === "Deployment") {
    text = text.replace(
      /(checksum\/config: )"?[0-9a-f]{64}"?/,
      `$1{{ include (print $.Template.BasePath "/config-map-${manifest.metadata.name}-config.yaml") . | sha256sum }}`,
    );
  }
  for (const p of placeholders) text = text.replaceAll(p.replacesQuotedScalar ? `"${p.sentinel}"` : p.sentinel, p.expression);
  return text;
}

/** How a template writes a literal "{{" (Helm prints the string). */
export const literalOpen = '{{ "{{" }}';

/** checksum/config: rendered by Helm from the ConfigMap, by the offline renderer as this marker. */
export const offlineChecksum = "offline-render";

/** templates/secrets.yaml: the database passwords, made by Helm at install time and kept on upgrade (in-cluster PostgreSQL only). */
function secretsTemplate(): string {
  const secret = (name: string, key: string) =>
    [
      `{{- $existing := lookup "v1" "Secret" .Values.namespace "${name}" }}`,
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      `  name: ${name}`,
      "  namespace: {{ .Values.namespace }}",
      "  labels:",
      "    app.kubernetes.io/part-of: meshmart",
      "    app.kubernetes.io/managed-by: {{ .Release.Service }}",
      "  annotations:",
      "    # The data volume keeps the passwords it was initialised with: never delete these with the release.",
      '    helm.sh/resource-policy: keep',
      "type: Opaque",
      "data:",
      `  ${key}: {{ if $existing }}{{ index $existing.data "${key}" }}{{ else }}{{ randAlphaNum 32 | b64enc }}{{ end }}`,
    ].join("\n");
  return [
    "# Generated by `make chart`. Passwords are generated here, at install time, and kept on upgrade;",
    "# with an external PostgreSQL, create the <service>-database Secrets yourself (see the chart README).",
    "{{- if not .Values.postgres.external.enabled }}",
    secret(postgresCredentialsSecret, "POSTGRES_PASSWORD"),
    ...databaseClients().map((db) => `---\n${secret(databaseSecretName(db), databasePasswordKey)}`),
    "{{- end }}",
    "",
  ].join("\n");
}

const header = "# Generated by `make chart` (cdk8s/src/helm-chart.ts) from the cdk8s synth. Do not edit.\n";

function valuesSchema(): object {
  const external = (kind: "host" | "brokers") => ({
    type: "object",
    additionalProperties: false,
    required: ["enabled", kind, "port", "cidr"],
    properties: {
      enabled: { type: "boolean" },
      [kind]: { type: "string" },
      port: { type: "integer", minimum: 1, maximum: 65535 },
      cidr: { type: "string", pattern: "^[0-9.]+/[0-9]{1,2}$" },
    },
  });
  const dnsLabel = { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" };
  return {
    $schema: "https://json-schema.org/draft-07/schema#",
    type: "object",
    additionalProperties: false,
    required: ["namespace", "createNamespace", "demoData", "image", "istio", "jwt", "postgres", "kafka", "observability"],
    properties: {
      namespace: { ...dnsLabel, maxLength: 40 },
      createNamespace: { type: "boolean" },
      demoData: { type: "boolean" },
      image: {
        type: "object",
        additionalProperties: false,
        required: ["repository", "tag"],
        properties: { repository: { type: "string", minLength: 1 }, tag: { type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$" } },
      },
      istio: { type: "object", additionalProperties: false, required: ["ingressNamespace"], properties: { ingressNamespace: dnsLabel } },
      jwt: { type: "object", additionalProperties: false, required: ["jwks"], properties: { jwks: { type: "string" } } },
      postgres: { type: "object", additionalProperties: false, required: ["external"], properties: { external: external("host") } },
      kafka: { type: "object", additionalProperties: false, required: ["external"], properties: { external: external("brokers") } },
      observability: {
        type: "object",
        additionalProperties: false,
        required: ["prometheusRules", "grafanaDashboards"],
        properties: { prometheusRules: { type: "boolean" }, grafanaDashboards: { type: "boolean" } },
      },
    },
  };
}

/** Every generated file of the chart, path relative to the chart directory -> content. */
export function renderChartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    "Chart.yaml",
    header +
      stringify({
        apiVersion: "v2",
        name: "meshmart",
        description: "meshmart: Koa + Connect-RPC services, Kafka (KRaft), PostgreSQL and their Istio policy, generated by cdk8s.",
        type: "application",
        version: chartVersion,
        appVersion: defaultChartValues.image.tag,
        kubeVersion: ">=1.29.0-0",
        keywords: ["meshmart", "istio", "cdk8s", "kafka", "postgresql"],
      }),
  );
  files.set("values.yaml", header + stringify(defaultChartValues));
  files.set("values.schema.json", JSON.stringify(valuesSchema(), null, 2) + "\n");
  files.set(".helmignore", "# Generated by `make chart`.\nREADME.md\n");
  files.set("templates/_helpers.tpl", helpers);
  files.set("templates/secrets.yaml", secretsTemplate());
  files.set(
    "templates/NOTES.txt",
    [
      "meshmart {{ .Chart.AppVersion }} is installed in namespace {{ .Values.namespace }} (images {{ .Values.image.repository }}/<service>:{{ .Values.image.tag }}).",
      "",
      "Watch it come up:   kubectl -n {{ .Values.namespace }} get pods -w",
      "Call the gateway:   kubectl -n {{ .Values.namespace }} port-forward svc/gateway 9080:8080, then curl -i http://localhost:9080/readyz",
      "",
    ].join("\n"),
  );
  // name -> variant -> text
  const byFile = new Map<string, Map<Variant, string>>();
  const guardOf = new Map<string, ObjectGuard>();
  for (const variant of variants) {
    for (const manifest of synthesize(sentinelSettings(variant))) {
      const name = `templates/${templateFileName(manifest)}`;
      const guard = objectGuards.find((g) => g.guards(manifest));
      if (guard) guardOf.set(name, guard);
      const texts = byFile.get(name) ?? new Map<Variant, string>();
      if (texts.has(variant)) throw new Error(`two objects map to the chart template ${name}`);
      texts.set(variant, templateText(manifest));
      byFile.set(name, texts);
    }
  }
  for (const [name, texts] of byFile) {
    const distinct = [...new Set(texts.values())];
    let body: string;
    if (distinct.length === 1 && texts.size === variants.length) {
      body = distinct[0]!;
    } else {
      const branches = distinct.map((text) => ({ text, when: variants.filter((v) => texts.get(v) === text) }));
      body =
        `${variantLine}\n` +
        branches.map((b, i) => `${i === 0 ? "{{- if" : "{{- else if"} ${variantCondition(b.when)} }}\n${b.text}`).join("") +
        `${guardClose}\n`;
    }
    const guard = guardOf.get(name);
    if (guard) body = `${guard.open}\n${body}${guardClose}\n`;
    files.set(name, body);
  }
  return files;
}

/** Rewrites the generated files of charts/meshmart (README.md is kept). */
export function writeChart(dir = chartDir): string[] {
  const templates = join(dir, "templates");
  rmSync(templates, { recursive: true, force: true });
  mkdirSync(templates, { recursive: true });
  const files = renderChartFiles();
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return [...files.keys()];
}

/** The chart's files as they are on disk (generated ones only). */
export function readChartDir(dir = chartDir): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path !== "README.md") files.set(path, readFileSync(join(dir, path), "utf8"));
    }
  };
  walk("");
  return files;
}

/**
 * Renders the chart's templates without Helm: evaluates the guards and
 * substitutes the expressions the generator writes (any other template syntax
 * is an error) and parses the result. templates/secrets.yaml (Helm's lookup
 * and random functions) is left to the tests with helm. Used to check the
 * chart when helm is not installed.
 */
export function renderTemplatesOffline(files: ReadonlyMap<string, string>, values: ChartValues = defaultChartValues): Manifest[] {
  const manifests: Manifest[] = [];
  const variant = variantOf(values);
  for (const [path, content] of files) {
    if (!path.startsWith("templates/") || !path.endsWith(".yaml") || path === "templates/secrets.yaml") continue;
    let text = content;
    const guard = objectGuards.find((g) => text.startsWith(g.open));
    if (guard) {
      if (!guard.enabled(values)) continue;
      text = text.slice(guard.open.length).replace(new RegExp(`${escapeRegExp(guardClose)}\\s*$`), "");
    }
    if (text.trimStart().startsWith(variantLine)) text = selectVariant(text.trimStart().slice(variantLine.length), variant, path);
    if (text.includes(requiredJwks) && values.jwt.jwks === "") throw new Error(`${path}: jwt.jwks is required`);
    for (const p of placeholders) text = text.replaceAll(p.expression, p.value(values));
    text = text.replace(/\{\{ include \(print \$\.Template\.BasePath "[^"]+"\) \. \| sha256sum \}\}/g, offlineChecksum);
    const literal = "\u0000literal-open\u0000";
    text = text.replaceAll(literalOpen, literal);
    if (text.includes("{{")) throw new Error(`${path}: template syntax the offline renderer does not know`);
    text = text.replaceAll(literal, "{{");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      const value = doc.toJSON() as Manifest | null;
      if (value !== null) manifests.push(value);
    }
  }
  return manifests;
}

/** The branch of an `if has $variant (list ...)` chain that names `variant` ("" when none does). */
function selectVariant(text: string, variant: Variant, path: string): string {
  const parts = text.split(/^\{\{- (?:if|else if) has \$variant \(list ([^)]*)\) \}\}\n/m);
  const end = parts.at(-1)!.lastIndexOf(guardClose);
  if (end < 0) throw new Error(`${path}: unterminated variant guard`);
  parts[parts.length - 1] = parts.at(-1)!.slice(0, end);
  for (let i = 1; i < parts.length; i += 2) {
    if (parts[i]!.split(" ").includes(`"${variant}"`)) return parts[i + 1]!;
  }
  return "";
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
