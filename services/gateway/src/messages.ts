// Protobuf messages at the REST edge: JSON bodies parsed with the protobuf
// JSON mapping (lowerCamelCase or proto names; unknown fields refused),
// messages checked with their protovalidate rules before any backend sees
// them, and responses written as protobuf JSON with every field present.
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import type Koa from "koa";
import { Problem } from "./problem.ts";
import { fromValidation, type FieldAliases } from "./violations.ts";

const validator = createValidator();

export function parseMessage<Desc extends DescMessage>(schema: Desc, json: unknown): MessageShape<Desc> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Problem(400, { detail: "the request body must be a JSON object" });
  }
  try {
    return fromJson(schema, json as JsonValue);
  } catch (err) {
    throw new Problem(400, { detail: `the request body does not match ${schema.name}: ${(err as Error).message}` });
  }
}

/** Throws a 400 with the field violations when `message` breaks its proto rules. */
export function validateMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, aliases: FieldAliases = {}): void {
  const result = validator.validate(schema, message);
  if (result.kind === "valid") return;
  if (result.kind === "error") throw result.error; // a broken rule in our protos: a 500, and logged
  const violations = fromValidation(result.violations, aliases);
  const detail = violations.map((v) => (v.field ? `${v.field}: ${v.message}` : v.message)).join("; ");
  throw new Problem(400, { detail, violations });
}

export function sendMessage<Desc extends DescMessage>(ctx: Koa.Context, schema: Desc, message: MessageShape<Desc>, status = 200): void {
  ctx.status = status;
  ctx.body = toJson(schema, message, { alwaysEmitImplicit: true });
}
