// Server reflection on a service port, with the tools users reach for: grpcurl
// (scripts/tools/ensure-tool.sh) lists, describes and calls, `buf curl` calls
// without --schema, and v1alpha answers what v1 does.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { ServerReflection as ReflectionV1 } from "@meshmart/proto/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ReflectionV1alpha } from "@meshmart/proto/grpc/reflection/v1alpha/reflection_pb";
import { repoRoot } from "@meshmart/infra/paths";
import { ensureTools } from "@meshmart/infra/tools";
import { startService, type RunningService } from "./service.ts";

// Built once per machine by ensure-tool.sh; a machine that cannot build it fails here, not skips.
const tools = await ensureTools(["grpcurl"]);

/** Runs a tool asynchronously (the service answers from this very process). */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repoRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** The files ordered so that each comes after what it imports (a FileDescriptorSet's order); a missing import stays missing. */
function importsFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const visit = (file: FileDescriptorProto) => {
    if (ordered.includes(file)) return;
    for (const name of file.dependency) {
      const dependency = files.find((f) => f.name === name);
      if (dependency) visit(dependency);
    }
    ordered.push(file);
  };
  files.forEach(visit);
  return ordered;
}

const servedServices = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "meshmart.catalog.v1.CatalogService",
];

describe("server reflection", () => {
  let service: RunningService;
  let address: string;
  before(async () => {
    service = await startService(
      {
        name: "catalog",
        rpc: (router) =>
          router.service(CatalogService, {
            listProducts: (request) => ({ products: [], nextPageToken: `size ${request.pageSize}` }),
          }),
      },
      { env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" } },
    );
    address = `127.0.0.1:${service.port}`;
  });
  after(() => service.stop());

  describe("grpcurl", () => {
    it("lists every service the port serves", async () => {
      const result = await run(tools.grpcurl, ["-plaintext", address, "list"]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split("\n"), servedServices);
    });

    it("describes a service, a method and a message with its validation options", async () => {
      const serviceText = await run(tools.grpcurl, ["-plaintext", address, "describe", "meshmart.catalog.v1.CatalogService"]);
      assert.equal(serviceText.code, 0, serviceText.stderr);
      assert.match(serviceText.stdout, /rpc ListProducts \( \.meshmart\.catalog\.v1\.ListProductsRequest \) returns \( \.meshmart\.catalog\.v1\.ListProductsResponse \)/);
      const method = await run(tools.grpcurl, ["-plaintext", address, "describe", "meshmart.catalog.v1.CatalogService.GetProduct"]);
      assert.match(method.stdout, /is a method/);
      const message = await run(tools.grpcurl, ["-plaintext", address, "describe", "meshmart.catalog.v1.ListProductsRequest"]);
      assert.equal(message.code, 0, message.stderr);
      assert.match(message.stdout, /int32 page_size = \d+ \[\s*\(\.buf\.validate\.field\) = \{ int32: \{ lte: 500/); // the import (buf/validate) resolved
    });

    it("calls an RPC by reflection alone", async () => {
      const result = await run(tools.grpcurl, ["-plaintext", "-d", '{"pageSize": 7}', address, "meshmart.catalog.v1.CatalogService/ListProducts"]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { nextPageToken: "size 7" });
    });

    it("says which symbol is not there", async () => {
      const result = await run(tools.grpcurl, ["-plaintext", address, "describe", "meshmart.catalog.v1.NoSuchMessage"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Symbol not found|not found/i);
    });
  });

  it("buf curl calls without --schema, over gRPC (h2c) and over Connect (HTTP/1.1)", async () => {
    const url = `${service.url}/meshmart.catalog.v1.CatalogService/ListProducts`;
    for (const protocolArgs of [["--protocol", "grpc", "--http2-prior-knowledge"], []]) {
      const result = await run("npx", ["--no-install", "buf", "curl", ...protocolArgs, "-d", '{"pageSize": 3}', url]);
      assert.equal(result.code, 0, `${protocolArgs.join(" ")}: ${result.stderr}`);
      assert.deepEqual(JSON.parse(result.stdout), { nextPageToken: "size 3" });
    }
  });

  it("v1alpha answers what v1 does, and the files it sends build a registry that holds the service", async () => {
    const transport = createGrpcTransport({ baseUrl: service.url });
    const answers = [];
    for (const reflection of [ReflectionV1, ReflectionV1alpha]) {
      const client = createClient(reflection, transport);
      async function* requests() {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
        yield { messageRequest: { case: "fileContainingSymbol" as const, value: "meshmart.catalog.v1.CatalogService.ListProducts" } };
        yield { messageRequest: { case: "fileContainingSymbol" as const, value: "no.such.Symbol" } };
      }
      const responses = [];
      for await (const response of client.serverReflectionInfo(requests())) responses.push(response);
      answers.push(responses);
    }
    for (const [listed, files, missing] of answers) {
      assert.equal(listed?.messageResponse.case, "listServicesResponse");
      if (listed?.messageResponse.case === "listServicesResponse") {
        assert.deepEqual(listed.messageResponse.value.service.map((s) => s.name).sort(), servedServices);
      }
      assert.equal(files?.messageResponse.case, "fileDescriptorResponse");
      if (files?.messageResponse.case === "fileDescriptorResponse") {
        const [file, ...imports] = files.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
        assert.ok(file);
        assert.equal(file.name, "meshmart/catalog/v1/catalog.proto");
        const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst([file, ...imports]) })); // throws when an import is missing
        assert.equal(registry.getService("meshmart.catalog.v1.CatalogService")?.methods.length, CatalogService.methods.length);
      }
      assert.equal(missing?.messageResponse.case, "errorResponse");
      if (missing?.messageResponse.case === "errorResponse") assert.equal(missing.messageResponse.value.errorCode, 5);
    }
  });
});
