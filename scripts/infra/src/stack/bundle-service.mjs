/* global process, console */
// Bundles one service's TypeScript into plain JavaScript ahead of time, so
// that neither its image nor the local stack compiles TypeScript at run time
// (a tsx or --experimental-transform-types process holds some 20-40 MB more
// resident memory than the same code pre-built: docs/performance.md).
//
// What goes in: the service's entry (src/main.ts unless told) and every
// @meshmart workspace it imports. What stays outside: third-party packages, loaded from node_modules
// as before (their own module loading, native parts and lazy imports are
// untouched). Dynamic imports become chunks of their own, so what a service
// loads only on demand (the @platformatic/kafka adapter) still loads only on
// demand.
//
// import.meta.url and import.meta.dirname are rewritten in each source file
// to point at that file's own place in the tree, relative to the bundle, so
// `new URL("../migrations", import.meta.url)` still finds each workspace's
// migrations; the bundle therefore runs only inside the same tree layout
// (the repository, or the image's /app).
//
//   node scripts/infra/src/stack/bundle-service.mjs <root> services/<name> <out dir> [entry]
// writes <out dir>/main.mjs (whatever the entry's name), its source map, and
// chunks/.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

/**
 * Builds `entry` of services/<name> in `root` for `outDir` (inside `root`)
 * and returns esbuild's output files; `write: false` leaves writing them to
 * the caller (the local stack writes them atomically, the image build as is).
 */
export async function bundleService({ root, serviceDir, outDir, entry = "src/main.ts", write = true }) {
  const absOut = path.resolve(root, outDir);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: path.join(root, serviceDir, entry) },
    outdir: absOut,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node24",
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    write,
    plugins: [thirdPartyExternal, fileLocalImportMeta(absOut)],
  });
  return result.outputFiles ?? [];
}

// Every bare specifier that is not one of ours is left to node_modules.
const thirdPartyExternal = {
  name: "third-party-external",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@meshmart/") ? undefined : { path: args.path, external: true }));
  },
};

function fileLocalImportMeta(absOut) {
  return {
    name: "file-local-import-meta",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta.")) return { contents: source, loader: "ts" };
        const relative = path.relative(absOut, args.path).split(path.sep).join("/");
        const url = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
        const contents = source
          .replaceAll("import.meta.url", `(${url})`)
          .replaceAll("import.meta.dirname", `__meshmartDirname(${url})`)
          .replaceAll("import.meta.filename", `__meshmartFilename(${url})`);
        const helpers =
          'import { fileURLToPath as __meshmartFileURLToPath } from "node:url";\n' +
          "const __meshmartFilename = (u: string) => __meshmartFileURLToPath(u);\n" +
          'const __meshmartDirname = (u: string) => __meshmartFileURLToPath(new URL(".", u)).replace(/\\/$/, "");\n';
        return { contents: helpers + contents, loader: "ts" };
      });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [root, serviceDir, outDir, entry] = process.argv.slice(2);
  if (!root || !serviceDir || !outDir) {
    console.error("usage: bundle-service.mjs <root> services/<name> <out dir> [entry, default src/main.ts]");
    process.exit(2);
  }
  await bundleService({ root: path.resolve(root), serviceDir, outDir, ...(entry ? { entry } : {}) });
}
