// Tests of the generated code in gen/:
//  - it is up to date with the .proto files, the OpenAPI document included
//    (regenerate into a temp dir and compare with the committed tree);
//  - the protovalidate rules in the .proto files are live at runtime.
//
// Run from the repository root: npx tsx --test services/proto/gen.test.ts
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { create, type DescFile } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import { MoneySchema } from "./gen/meshmart/common/v1/money_pb.ts";
import {
  CreateProductRequestSchema,
  ListProductsRequestSchema,
  UpdateProductRequestSchema,
} from "./gen/meshmart/catalog/v1/catalog_pb.ts";
import { PlaceOrderRequestSchema } from "./gen/meshmart/orders/v1/orders_pb.ts";

const protoDir = dirname(fileURLToPath(import.meta.url));
const genDir = join(protoDir, "gen");

/** Every node_modules/.bin from protoDir up to the filesystem root. */
function binDirs(from: string): string[] {
  const dirs: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    const bin = join(dir, "node_modules", ".bin");
    if (existsSync(bin)) dirs.push(bin);
    if (dirname(dir) === dir) return dirs;
  }
}

/** Relative paths of all files under dir, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("generated code", () => {
  it("is up to date with the .proto files (npm run gen)", () => {
    const out = mkdtempSync(join(tmpdir(), "meshmart-proto-gen-"));
    try {
      // Same script, buf and plugins as `npm run gen` (protoc-gen-connect-openapi
      // built once per machine by ensure-tool.sh), and protoc-gen-es runs on the
      // node that runs this test.
      const PATH = [dirname(process.execPath), ...binDirs(protoDir), process.env["PATH"] ?? ""].join(delimiter);
      const result = spawnSync("bash", ["scripts/gen.sh", "--output", out], {
        cwd: protoDir,
        env: { ...process.env, PATH },
        encoding: "utf8",
        timeout: 30 * 60_000,
      });
      assert.equal(result.error, undefined, `cannot run scripts/gen.sh: ${result.error?.message}`);
      assert.equal(result.status, 0, `buf generate failed:\n${result.stderr}`);

      const fresh = join(out, "gen");
      const committed = listFiles(genDir);
      const regenerated = listFiles(fresh);
      const stale: string[] = [];
      for (const file of new Set([...committed, ...regenerated])) {
        const a = join(genDir, file);
        const b = join(fresh, file);
        if (!existsSync(b)) stale.push(`gen/${file} (no longer generated)`);
        else if (!existsSync(a)) stale.push(`gen/${file} (missing)`);
        else if (!readFileSync(a).equals(readFileSync(b))) stale.push(`gen/${file} (differs)`);
      }
      assert.ok(regenerated.length > 0, "buf generate produced no files");
      assert.deepEqual(
        stale.sort(),
        [],
        `services/proto/gen is stale, run \`npm run gen\`:\n  ${stale.join("\n  ")}`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("protovalidate rules", () => {
  const validator = createValidator();

  const validCreate = () =>
    create(CreateProductRequestSchema, {
      sku: "MUG-001",
      name: "Mug",
      description: "A mug.",
      price: create(MoneySchema, { currencyCode: "EUR", unitsMinor: 1299n }),
      category: "kitchen",
      imageUrls: ["https://images.example.com/mug.png"],
    });

  /** Distinct field paths of the violations, or [] when the message is valid. */
  function violatedFields(result: ReturnType<typeof validator.validate>): string[] {
    assert.notEqual(result.kind, "error", result.kind === "error" ? String(result.error) : "");
    if (result.kind !== "invalid") return [];
    return [...new Set(result.error.violations.map((v) => pathToString(v.field)))].sort();
  }

  it("compile for every message of every file", async () => {
    let messages = 0;
    for (const file of listFiles(genDir).filter((name) => name.endsWith("_pb.ts"))) {
      const mod = (await import(pathToFileURL(join(genDir, file)).href)) as Record<string, unknown>;
      const descs = Object.entries(mod).filter(([name]) => name.startsWith("file_"));
      assert.equal(descs.length, 1, `gen/${file} exports one file descriptor`);
      const desc = descs[0]![1] as DescFile;
      const all = (ms: DescFile["messages"]): DescFile["messages"] => ms.flatMap((m) => [m, ...all(m.nestedMessages)]);
      for (const schema of all(desc.messages)) {
        const result = validator.validate(schema, create(schema));
        assert.notEqual(result.kind, "error", `${schema.typeName}: ${result.kind === "error" ? result.error.message : ""}`);
        messages++;
      }
    }
    assert.ok(messages > 50, `only ${messages} messages found`);
  });

  it("accept a valid CreateProductRequest", () => {
    const result = validator.validate(CreateProductRequestSchema, validCreate());
    assert.equal(result.kind, "valid", violatedFields(result).join(", "));
  });

  it("reject a CreateProductRequest with a negative price, a bad currency and a bad sku", () => {
    const msg = validCreate();
    msg.price = create(MoneySchema, { currencyCode: "eur", unitsMinor: -1n });
    msg.sku = "mug 1";
    msg.imageUrls = ["not a url"];
    const result = validator.validate(CreateProductRequestSchema, msg);
    assert.equal(result.kind, "invalid");
    assert.deepEqual(violatedFields(result), [
      "image_urls[0]",
      "price.currency_code",
      "price.units_minor",
      "sku",
    ]);
  });

  it("require the price of a CreateProductRequest", () => {
    const msg = validCreate();
    msg.price = undefined;
    assert.deepEqual(violatedFields(validator.validate(CreateProductRequestSchema, msg)), ["price"]);
  });

  it("check message rules: price range, at least one change", () => {
    const list = create(ListProductsRequestSchema, { minPriceUnitsMinor: 500n, maxPriceUnitsMinor: 100n });
    const listResult = validator.validate(ListProductsRequestSchema, list);
    assert.equal(listResult.kind, "invalid");
    assert.deepEqual(
      listResult.kind === "invalid" ? listResult.error.violations.map((v) => v.ruleId) : [],
      ["list_products.price_range"],
    );

    const update = create(UpdateProductRequestSchema, { id: "4f6c1a8e-2b0d-4c3e-9a57-0d2f1b6e8c91" });
    const updateResult = validator.validate(UpdateProductRequestSchema, update);
    assert.equal(updateResult.kind, "invalid");
    update.name = "Big mug";
    assert.equal(validator.validate(UpdateProductRequestSchema, update).kind, "valid");
  });

  it("reject a PlaceOrderRequest with a zero quantity and a repeated product", () => {
    const productId = "4f6c1a8e-2b0d-4c3e-9a57-0d2f1b6e8c91";
    const msg = create(PlaceOrderRequestSchema, {
      customerId: "not-a-uuid",
      idempotencyKey: "",
      items: [
        { productId, quantity: 1 },
        { productId, quantity: 0 },
      ],
    });
    assert.deepEqual(violatedFields(validator.validate(PlaceOrderRequestSchema, msg)), [
      "customer_id",
      "idempotency_key",
      "items",
      "items[1].quantity",
    ]);
  });
});
