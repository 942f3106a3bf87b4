import type { OutputFile } from "esbuild";

/** See bundle-service.mjs. */
export function bundleService(options: { root: string; serviceDir: string; outDir: string; entry?: string; write?: boolean }): Promise<OutputFile[]>;
